"""End to end on the real embedded model: SmolLM2-135M-Instruct through llama.cpp, offline."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import trustbench
from trustbench.models import default_gguf_path, parse_model_spec
from trustbench.suite import TASKS

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
    for task_id in TASKS:
        assert task_id in first.stderr  # one progress bar per task
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]) == set(TASKS)
    rows = [json.loads(line) for line in (out / "responses.jsonl").open()]
    assert len(rows) == 2 * len(TASKS)
    assert all(isinstance(row["response"], str) and not row["cached"] for row in rows)
    assert sum(1 for row in rows if row["response"].strip()) >= len(rows) // 2
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["model"]["spec"] == "llamacpp" and manifest["model_calls"] == len(rows)

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "run.json").read_text())["model_calls"] == 0
    assert json.loads((out / "results.json").read_text())["tasks"] == results["tasks"]

    rescored = trustbench.score_run(out)
    assert rescored.tasks == results["tasks"]
