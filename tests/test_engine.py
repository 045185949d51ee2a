"""The response store and resume: nothing stored is ever requested again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import trustbench
from fake_openai import FakeOpenAIServer
from trustbench.engine import Store
from trustbench.types import SamplingParams, request_key


def test_request_key_depends_on_model_params_and_messages():
    messages = [{"role": "user", "content": "hi"}]
    base = request_key("m", SamplingParams(), messages)
    assert base == request_key("m", SamplingParams(), [dict(m) for m in messages])
    assert base != request_key("other", SamplingParams(), messages)
    assert base != request_key("m", SamplingParams(temperature=1.0), messages)
    assert base != request_key("m", SamplingParams(), [{"role": "user", "content": "hi!"}])


def test_store_round_trip_and_persistence(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    store.put(
        "k1", "m", SamplingParams(), [{"role": "user", "content": "q"}], "answer", "stop", {"t": 1}
    )
    store.close()
    reopened = Store(path)
    hits = reopened.get_many(["k1", "k2"])
    assert set(hits) == {"k1"}
    assert hits["k1"].response == "answer"
    assert hits["k1"].usage == {"t": 1}
    assert reopened.count() == 1


def test_second_run_makes_no_model_call(tmp_path):
    with FakeOpenAIServer() as server:
        first = trustbench.evaluate(
            model="openai:m", base_url=server.base_url, tasks="safety/misuse", out=tmp_path / "a"
        )
        calls = server.total
        second = trustbench.evaluate(
            model="openai:m", base_url=server.base_url, tasks="safety/misuse", out=tmp_path / "b"
        )
        assert server.total == calls == first.tasks["safety/misuse"]["n"]
    assert second.to_dict()["tasks"] == first.to_dict()["tasks"]
    rows = [json.loads(line) for line in (tmp_path / "b" / "responses.jsonl").open()]
    assert rows and all(row["cached"] for row in rows)


def test_changed_sampling_params_are_new_requests(tmp_path):
    with FakeOpenAIServer() as server:
        trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks="safety/misuse",
            limit=3,
            out=tmp_path / "a",
        )
        trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks="safety/misuse",
            limit=3,
            out=tmp_path / "b",
            seed=7,
        )
        assert server.total == 6


def _stored_prompts(store: Path) -> set[str]:
    if not store.exists():
        return set()
    try:
        with sqlite3.connect(store) as db:
            rows = db.execute("SELECT messages FROM responses").fetchall()
    except sqlite3.OperationalError:  # the run has created the file but not yet the table
        return set()
    return {json.loads(messages)[-1]["content"] for (messages,) in rows}


def _start_run(base_url: str, out: Path, store: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "trustbench", "run", "--model", "openai:m", "--base-url", base_url,
        "--concurrency", "1", "--out", str(out), "--store", str(store), "--no-progress",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "OPENAI_API_KEY": ""},
    )


def _interrupt_and_resume(tmp_path: Path, sig: int) -> None:
    store, out = tmp_path / "kill.sqlite", tmp_path / "run"
    with FakeOpenAIServer(delay=0.15) as server:
        process = _start_run(server.base_url, out, store)
        deadline = time.monotonic() + 60
        while len(_stored_prompts(store)) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(sig)
        process.wait(timeout=30)
        stored_before = _stored_prompts(store)
        assert len(stored_before) >= 8, "the run should have stored responses before the kill"
        assert not (out / "results.json").exists()

        resumed = _start_run(server.base_url, out, store)
        _, stderr = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, stderr.decode()
        again = [prompt for prompt in stored_before if server.requests[prompt] != 1]
        assert again == [], f"stored requests were sent again: {again[:3]}"
    results = json.loads((out / "results.json").read_text())
    rows = (out / "responses.jsonl").read_text().splitlines()
    total = sum(task["n"] for task in results["tasks"].values())
    assert len(rows) == total and total > len(stored_before)
    cached = sum(json.loads(row)["cached"] for row in rows)
    assert cached >= len(stored_before)
    # the resumed run's results equal those of a run that was never interrupted
    with FakeOpenAIServer() as server:
        clean = _start_run(server.base_url, tmp_path / "clean", tmp_path / "clean.sqlite")
        _, stderr = clean.communicate(timeout=120)
        assert clean.returncode == 0, stderr.decode()
    uninterrupted = json.loads((tmp_path / "clean" / "results.json").read_text())
    assert results["tasks"] == uninterrupted["tasks"]


def test_kill_minus_nine_then_resume_sends_no_stored_request(tmp_path):
    _interrupt_and_resume(tmp_path, signal.SIGKILL)


def test_ctrl_c_then_resume_sends_no_stored_request(tmp_path):
    _interrupt_and_resume(tmp_path, signal.SIGINT)
