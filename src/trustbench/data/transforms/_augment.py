"""Adversarial variants of the rows of a file: one output row per input row and transform."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import DataError, UsageError
from ._base import Transform
from ._registry import resolve

SUFFIXES = (".jsonl", ".csv", ".json")


def augment_rows(
    rows: Sequence[dict[str, Any]],
    field: str,
    transforms: str | Transform | Sequence[str | Transform],
    seed: int = 0,
    source: str = "rows",
) -> list[dict[str, Any]]:
    """Each row once per transform, in row order: ``field`` holds the transformed text,
    ``<field>_original`` the text before it and ``transform`` the transform's name.

    A row that is itself a variant (it has ``<field>_original``) keeps its first original, and
    its ``transform`` becomes "<earlier>+<this>", so transforms can be chained. ``source`` names
    the rows in error messages (the file they came from).
    """
    chosen = resolve(transforms)
    original_field = f"{field}_original"
    out = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DataError(source, f"expected an object, got {type(row).__name__}", index)
        if field not in row:
            raise DataError(source, "missing", index, field)
        text = row[field]
        if not isinstance(text, str):
            kind = "null" if text is None else type(text).__name__
            raise DataError(source, f"expected text, got {kind}", index, field)
        if not text.strip():
            raise DataError(source, "empty text", index, field)
        chained = original_field in row
        first = row[original_field] if chained else text
        earlier = row.get("transform") if chained else None
        for transform in chosen:
            variant = dict(row)
            variant[field] = transform.apply(text, seed)
            variant[original_field] = first
            variant["transform"] = f"{earlier}+{transform.name}" if earlier else transform.name
            out.append(variant)
    return out


def _file_type(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"{path}: unknown {role} file type {suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(SUFFIXES)}"
        )
    return suffix


def read_row_file(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL, CSV or JSON (a list of objects, as the official data files) file."""
    suffix = _file_type(path, "input")
    if suffix != ".json":
        from ...judge_files import read_rows

        rows = read_rows(path)
    else:
        if not path.is_file():
            raise DataError(str(path), "no such file")
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(
                str(path), f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        if not isinstance(rows, list):
            raise DataError(str(path), "expected a JSON list of objects")
    if not rows:
        raise DataError(str(path), "no rows (the file is empty)")
    return rows


def write_row_file(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """JSONL, CSV or JSON (a list, indented) by the suffix of ``path``."""
    if _file_type(path, "output") == ".json":
        text = json.dumps(list(rows), indent=1, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        return
    from ...judge_files import write_rows

    write_rows(rows, path)


def augment_file(
    source: str | Path,
    out: str | Path,
    field: str,
    transforms: str | Transform | Sequence[str | Transform],
    seed: int = 0,
) -> int:
    """Read ``source``, write every row once per transform to ``out``; return the rows written.

    Both files are JSONL, CSV or JSON by suffix. Every row is checked and transformed before
    ``out`` is opened, so a bad row leaves no half-written file.
    """
    source, out = Path(source), Path(out)
    chosen = resolve(transforms)
    _file_type(out, "output")
    if not out.parent.is_dir():
        raise UsageError(f"{out}: the folder {out.parent} does not exist")
    rows = augment_rows(read_row_file(source), field, chosen, seed, source=str(source))
    write_row_file(rows, out)
    return len(rows)
