"""The SQLite response store: every response committed as it arrives, keyed by request hash."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..types import Message, SamplingParams

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    sampling TEXT NOT NULL,
    messages TEXT NOT NULL,
    response TEXT NOT NULL,
    finish_reason TEXT,
    usage TEXT,
    created REAL NOT NULL
)
"""


def default_store_path() -> Path:
    """``$TRUSTBENCH_STORE``, else ``$XDG_CACHE_HOME/trustbench/store.sqlite`` (``~/.cache``)."""
    explicit = os.environ.get("TRUSTBENCH_STORE")
    if explicit:
        return Path(explicit).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "trustbench" / "store.sqlite"


@dataclass(frozen=True)
class StoredResponse:
    key: str
    response: str
    finish_reason: str | None
    usage: dict[str, Any]


class Store:
    """Content-addressed responses. Safe to share between runs; one writer process at a time."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sampling_texts: dict[SamplingParams, str] = {}
        self._db = sqlite3.connect(self.path, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredResponse]:
        found: dict[str, StoredResponse] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, response, finish_reason, usage FROM responses WHERE key IN ({marks})",
                chunk,
            )
            for key, response, finish_reason, usage in rows:
                found[key] = StoredResponse(key, response, finish_reason, json.loads(usage or "{}"))
        return found

    def put(
        self,
        key: str,
        model_id: str,
        sampling: SamplingParams,
        messages: list[Message],
        response: str,
        finish_reason: str | None,
        usage: dict[str, Any],
        commit: bool = True,
    ) -> None:
        """Insert, and commit at once unless ``commit`` is False (the caller then commits soon:
        the engine commits responses in batches, a fraction of a second apart)."""
        self._db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                model_id,
                self._sampling_json(sampling),
                json.dumps(messages, ensure_ascii=False),
                response,
                finish_reason,
                json.dumps(usage),
                time.time(),
            ),
        )
        if commit:
            self._db.commit()

    def _sampling_json(self, sampling: SamplingParams) -> str:
        text = self._sampling_texts.get(sampling)
        if text is None:
            text = self._sampling_texts[sampling] = json.dumps(sampling.to_dict(), sort_keys=True)
        return text

    def commit(self) -> None:
        """Commit every response put so far (safe from a crash of this process; WAL, no fsync)."""
        if self._db.in_transaction:
            self._db.commit()

    def arrivals(self, model_id: str, limit: int = 20_000) -> list[tuple[float, dict[str, Any]]]:
        """When the latest responses of a model were stored, with their usage, oldest first."""
        rows = self._db.execute(
            "SELECT created, usage FROM responses WHERE model = ? ORDER BY created DESC LIMIT ?",
            (model_id, limit),
        ).fetchall()
        return [(created, json.loads(usage or "{}")) for created, usage in reversed(rows)]

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self.commit()
        self._db.close()
