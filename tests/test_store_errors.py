"""A damaged or locked response store: a clear error naming the file, no traceback, nothing lost."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fault_server import FaultServer
from trustbench.cli import main
from trustbench.engine import Store
from trustbench.errors import StoreError

SRC = str(Path(__file__).resolve().parents[1] / "src")

# holds a write lock on a SQLite file for as long as the test says, from another process
LOCKER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "rollback-journal":
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("CREATE TABLE IF NOT EXISTS other (x)")
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "lock":
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
    elif line.strip() == "unlock":
        db.execute("ROLLBACK")
        print("unlocked", flush=True)
"""


class Locker:
    def __init__(self, path: Path, mode: str = "wal"):
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._say(None) == "ready"

    def _say(self, command: str | None) -> str:
        assert self.process.stdin and self.process.stdout
        if command:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def lock(self) -> None:
        assert self._say("lock") == "locked"

    def unlock(self) -> None:
        assert self._say("unlock") == "unlocked"

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=10)


def _cli(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": SRC, "OPENAI_API_KEY": "", **env}
    return subprocess.run(
        [sys.executable, "-m", "trustbench", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def _run_args(server: FaultServer, store: Path, out: Path) -> list[str]:
    return ["run", "--model", "openai:m", "--base-url", server.base_url, "--store", str(store)] + [
        "--tasks",
        "safety/misuse",
        "--limit",
        "4",
        "--out",
        str(out),
        "--no-progress",
    ]


def test_a_damaged_store_is_named_with_what_to_do(tmp_path):
    store = tmp_path / "store.sqlite"
    garbage = bytes(range(256)) * 64
    store.write_bytes(garbage)
    with FaultServer() as server:
        result = _cli(_run_args(server, store, tmp_path / "run"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith(f"trustbench: error: {store}: cannot open the response store")
    assert "damaged" in message and f"mv {store} {store}.damaged" in message
    assert "--store" in message
    assert server.hits == 0  # no model call whose response could have been dropped
    assert store.read_bytes() == garbage  # the damaged file is left as it was
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("mode", ["wal", "rollback-journal"])
def test_a_store_locked_by_another_process_is_named_with_what_to_do(tmp_path, mode):
    store = tmp_path / "store.sqlite"
    if mode == "wal":
        Store(store).close()  # a trustbench store that another process now holds
    locker = Locker(store, mode)
    locker.lock()
    try:
        with FaultServer() as server:
            result = _cli(
                _run_args(server, store, tmp_path / "run"), TRUSTBENCH_STORE_TIMEOUT="0.2"
            )
    finally:
        locker.close()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith(f"trustbench: error: {store}: cannot ")
    assert "locked by another process" in message and "gave up after 0.2s" in message
    assert "--store" in message and "TRUSTBENCH_STORE_TIMEOUT" in message
    assert server.hits == 0


def test_a_store_locked_mid_run_stops_the_run_and_loses_no_response(tmp_path, monkeypatch, capsys):
    """A response that cannot be saved stops the run loudly; the next run requests it again."""
    store, out = tmp_path / "store.sqlite", tmp_path / "run"
    Store(store).close()
    locker = Locker(store)
    monkeypatch.setenv("TRUSTBENCH_STORE_TIMEOUT", "0.2")

    def lock_before_the_third_answer(hit: int) -> None:
        if hit == 3:
            locker.lock()

    try:
        with FaultServer(on_hit=lock_before_the_third_answer) as server:
            args = _run_args(server, store, out) + ["--concurrency", "1"]
            assert main(args) == 1
            err = capsys.readouterr().err
            assert "Traceback" not in err
            assert f"{store}: cannot save a response" in err and "locked" in err
            assert "requests the rest" in err
            assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
            assert not (out / "results.json").exists()
            with sqlite3.connect(store, timeout=0) as db:  # readers still get through in WAL
                assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 2
            locker.unlock()

            assert main(args) == 0
    finally:
        locker.close()
    rows = [json.loads(line) for line in (out / "responses.jsonl").open()]
    assert len(rows) == 4 and all(row["response"] for row in rows)
    assert sum(row["cached"] for row in rows) == 2
    # the one answer that arrived while the store was locked was requested once more; no other
    assert sorted(server.answered.values()) == [1, 1, 1, 2]
    assert server.hits == 5


def test_store_error_names_the_file_in_the_python_api(tmp_path):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match=str(path)):
        Store(path)


def test_a_bad_lock_timeout_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRUSTBENCH_STORE_TIMEOUT", "soon")
    args = ["run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1"]
    assert main([*args, "--store", str(tmp_path / "s.sqlite"), "--no-progress"]) == 2
    assert "TRUSTBENCH_STORE_TIMEOUT" in capsys.readouterr().err
