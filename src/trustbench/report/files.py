"""Writing run files whole or not at all: each is written beside its target, then renamed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic_write(path: Path, chunks: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=path.name, suffix=".tmp", delete=False, encoding="utf-8"
    ) as handle:
        try:
            handle.writelines(chunks)
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    # a temporary file is private (0600); run files get the usual mode of a new file
    os.chmod(handle.name, 0o666 & ~_UMASK)
    os.replace(handle.name, path)


def write_json(path: Path, value: Any) -> None:
    _atomic_write(path, [json.dumps(value, indent=2, ensure_ascii=False), "\n"])


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    _atomic_write(path, (json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_text(path: Path, text: str) -> None:
    _atomic_write(path, [text])
