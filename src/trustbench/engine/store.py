"""The SQLite response store: every response committed as it arrives, keyed by request hash."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreError, UsageError
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

# Permanent failures (a 4xx other than 408/409/425/429) per request: not requested again unless
# the user asks (--retry-errors); a response stored later for the same key replaces the error.
_ERRORS_SCHEMA = """
CREATE TABLE IF NOT EXISTS errors (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    status INTEGER,
    message TEXT NOT NULL,
    messages TEXT NOT NULL,
    created REAL NOT NULL
)
"""

DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_TIMEOUT_ENV = "TRUSTBENCH_STORE_TIMEOUT"


def store_lock_timeout() -> float:
    """Seconds to wait for another process's lock on the store (``$TRUSTBENCH_STORE_TIMEOUT``)."""
    value = os.environ.get(LOCK_TIMEOUT_ENV)
    if not value:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise UsageError(f"${LOCK_TIMEOUT_ENV} must be a number of seconds, not {value!r}")
    return seconds


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


@dataclass(frozen=True)
class StoredError:
    key: str
    status: int | None
    message: str


class Store:
    """Content-addressed responses and permanent errors. Safe to share between runs.

    Every write is its own short transaction, so several processes can share one store; one
    that holds a lock longer than ``lock_timeout`` seconds makes the others fail with a
    :class:`StoreError` that names the file, as does a damaged file. Nothing is ever skipped
    silently: a response that cannot be written stops the run.
    """

    def __init__(self, path: Path, lock_timeout: float | None = None):
        self.path = Path(path)
        self.lock_timeout = store_lock_timeout() if lock_timeout is None else lock_timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot create the store's folder ({exc.strerror}); choose another "
                "store with --store PATH or $TRUSTBENCH_STORE"
            ) from None
        self._sampling_texts: dict[SamplingParams, str] = {}
        self._rows: list[tuple[Any, ...]] = []  # responses put without commit, written by commit
        self._errors_possible = True  # False while the errors table is known to be empty
        self._db: sqlite3.Connection | None = None
        with self._guard("open the response store"):
            self._db = sqlite3.connect(self.path, timeout=self.lock_timeout)
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(_SCHEMA)
                self._db.execute(_ERRORS_SCHEMA)
                self._db.commit()
                # take the write lock once now, so a store held by another process is reported
                # before any model call rather than at the first response
                self._db.execute("BEGIN IMMEDIATE")
                self._db.rollback()
                # a response stored for a key replaces its stored error: with no error stored
                # (the common case) there is nothing to delete per response
                self._errors_possible = bool(
                    self._db.execute("SELECT EXISTS (SELECT 1 FROM errors)").fetchone()[0]
                )
            except BaseException:
                self._db.close()
                self._db = None
                raise

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn SQLite failures into one clear StoreError that names the file and the remedy."""
        try:
            yield
        except sqlite3.Error as exc:
            if self._db is not None:
                with suppress(sqlite3.Error):
                    if self._db.in_transaction:
                        self._db.rollback()
            raise StoreError(self._explain(action, exc)) from None

    def _explain(self, action: str, exc: sqlite3.Error) -> str:
        detail = str(exc)
        lowered = detail.lower()
        where = f"{self.path}: cannot {action}"
        if "locked" in lowered or "busy" in lowered:
            return (
                f"{where}: the store is locked by another process (a running trustbench, or a "
                f"SQLite client with an open write transaction); gave up after "
                f"{self.lock_timeout:g}s. Wait for that process to finish, or use another store "
                f"with --store PATH (set ${LOCK_TIMEOUT_ENV} to wait longer)"
            )
        if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            return (
                f"{where}: the file is damaged or is not a trustbench store ({detail}). Move it "
                f"aside (mv {self.path} {self.path}.damaged) and run again to start a new store, "
                "or use another with --store PATH or $TRUSTBENCH_STORE; "
                f"'sqlite3 {self.path}.damaged .recover' may salvage stored responses"
            )
        return (
            f"{where} ({detail}); check that the file and its folder are writable and the disk "
            "is not full, or use another store with --store PATH or $TRUSTBENCH_STORE"
        )

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._db

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredResponse]:
        found: dict[str, StoredResponse] = {}
        keys = list(keys)
        self._flush()
        with self._guard("read stored responses"):
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    "SELECT key, response, finish_reason, usage FROM responses "
                    f"WHERE key IN ({marks})",
                    chunk,
                )
                for key, response, finish_reason, usage in rows:
                    found[key] = StoredResponse(
                        key, response, finish_reason, json.loads(usage or "{}")
                    )
        return found

    def get_errors(self, keys: Iterable[str]) -> dict[str, StoredError]:
        """The permanent errors stored for these keys."""
        found: dict[str, StoredError] = {}
        keys = list(keys)
        self._flush()
        with self._guard("read stored errors"):
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT key, status, message FROM errors WHERE key IN ({marks})", chunk
                )
                for key, status, message in rows:
                    found[key] = StoredError(key, status, message)
        return found

    def put_error(
        self,
        key: str,
        model_id: str,
        messages: list[Message],
        status: int | None,
        message: str,
    ) -> None:
        """Record a permanent failure for one request (never an empty response)."""
        self._errors_possible = True
        self._flush()
        with self._guard("save an error"):
            self.db.execute(
                "INSERT OR REPLACE INTO errors VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    model_id,
                    status,
                    message,
                    json.dumps(messages, ensure_ascii=False),
                    time.time(),
                ),
            )
            self.db.commit()

    def count_errors(self) -> int:
        self._flush()
        with self._guard("count stored errors"):
            return self.db.execute("SELECT COUNT(*) FROM errors").fetchone()[0]

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
        """Insert, and commit at once unless ``commit`` is False: the caller then commits soon
        (the engine commits responses in batches, a fraction of a second apart); the rows after
        the first of a batch are written then, in one statement. Reads see them at once."""
        row = (
            key,
            model_id,
            self._sampling_json(sampling),
            json.dumps(messages, ensure_ascii=False),
            response,
            finish_reason,
            json.dumps(usage),
            time.time(),
        )
        self._rows.append(row)
        if commit:
            self.commit()
        elif not self.db.in_transaction:
            # the first response of a batch opens the transaction (and takes the write lock, so
            # a store locked by another process stops the run at this response, as before)
            self._flush()

    def _flush(self) -> None:
        """Write the rows put without commit (in the open transaction; commit() commits it)."""
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        with self._guard(
            "save a response (the run stops here; responses saved so far are kept, and the same "
            "command run again requests the rest)"
        ):
            self.db.executemany(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            if self._errors_possible:
                self.db.executemany("DELETE FROM errors WHERE key = ?", [(r[0],) for r in rows])

    def _sampling_json(self, sampling: SamplingParams) -> str:
        text = self._sampling_texts.get(sampling)
        if text is None:
            text = self._sampling_texts[sampling] = json.dumps(sampling.to_dict(), sort_keys=True)
        return text

    def commit(self) -> None:
        """Commit every response put so far (safe from a crash of this process; WAL, no fsync)."""
        self._flush()
        with self._guard(
            "save responses (the run stops here; responses saved so far are kept, and the same "
            "command run again requests the rest)"
        ):
            if self.db.in_transaction:
                self.db.commit()

    def arrivals(self, model_id: str, limit: int = 20_000) -> list[tuple[float, dict[str, Any]]]:
        """When the latest responses of a model were stored, with their usage, oldest first."""
        self._flush()
        with self._guard("read stored responses"):
            rows = self.db.execute(
                "SELECT created, usage FROM responses WHERE model = ? ORDER BY created DESC LIMIT ?",
                (model_id, limit),
            ).fetchall()
        return [(created, json.loads(usage or "{}")) for created, usage in reversed(rows)]

    def count(self) -> int:
        self._flush()
        with self._guard("count stored responses"):
            return self.db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            try:
                self.commit()
            finally:
                if self._db is not None:
                    self._db.close()
                    self._db = None
