"""End to end on the real embedded model: SmolLM2-135M-Instruct through llama.cpp, offline."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import trustbench
from trustbench.data import open_data
from trustbench.models import default_gguf_path, parse_model_spec
from trustbench.suite import TASKS

BUILTIN_TASKS = [t for t in TASKS if open_data(None).has(TASKS[t].file)]

pytest.importorskip("llama_cpp")


def test_default_model_is_the_packaged_gguf():
    path = default_gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    spec = parse_model_spec("llamacpp")
    assert spec.kind == "llamacpp" and spec.model_id.startswith("llamacpp:SmolLM2-135M")


def test_cli_run_on_every_task_then_resume_and_rescore(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "trustbench", "run", "--limit", "2", "--max-tokens", "40"]
    command += ["--out", str(out), "--store", str(tmp_path / "store.sqlite")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "trustbench results" in first.stdout
    for task_id in BUILTIN_TASKS:
        assert task_id in first.stderr  # one progress bar per task
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]) == set(BUILTIN_TASKS)
    rows = [json.loads(line) for line in (out / "responses.jsonl").open()]
    assert len(rows) == 2 * len(BUILTIN_TASKS)
    assert all(isinstance(row["response"], str) for row in rows)
    # safety/toxicity scores the jailbreak responses: the same requests, answered once
    shared = [row for row in rows if row["task"] == "safety/toxicity"]
    assert all(row["cached"] for row in shared) and len(shared) == 2
    assert not any(row["cached"] for row in rows if row["task"] != "safety/toxicity")
    assert sum(1 for row in rows if row["response"].strip()) >= len(rows) // 2
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["model"]["spec"] == "llamacpp"
    assert manifest["model_calls"] == len(rows) - len(shared)

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "run.json").read_text())["model_calls"] == 0
    assert json.loads((out / "results.json").read_text())["tasks"] == results["tasks"]

    rescored = trustbench.score_run(out)
    assert rescored.tasks == results["tasks"]


def _stored(store) -> int:
    import sqlite3

    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:  # the run has created the file but not yet the table
        return 0


def test_ctrl_c_stops_a_generation_at_once_and_the_run_resumes(tmp_path):
    import signal
    import time

    store, out = tmp_path / "store.sqlite", tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "trustbench",
        "run",
        "--tasks",
        "safety/misuse",
        "--limit",
        "6",
    ]
    command += [
        "--max-tokens",
        "400",
        "--temperature",
        "1.0",
        "--out",
        str(out),
        "--store",
        str(store),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while _stored(store) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)  # let the next generation start
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert time.monotonic() - sent < 10
    assert "interrupted" in stderr
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    stored = _stored(store)
    assert 1 <= stored < 6
    resumed = subprocess.run(
        command + ["--no-progress"], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "run.json").read_text())["model_calls"] == 6 - stored
