"""Tasks are judged in a thread while later tasks generate: the results are those of judging
every task after generation (as `trustbench score` does), and nothing is lost on failure."""

from __future__ import annotations

import sys

import pytest

import trustbench
from fake_openai import FakeOpenAIServer
from trustbench import evaluation

TASKS = "privacy,truthfulness/external,fairness/preference,safety/misuse,ethics/social_norm"


@pytest.mark.parametrize("process", [False, True])
def test_results_equal_judging_after_generation(tmp_path, monkeypatch, process):
    monkeypatch.setattr(evaluation, "SCORING_PROCESS_MIN_ITEMS", 0 if process else 10**9)
    with FakeOpenAIServer() as server:
        run = trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks=TASKS,
            selection="full",
            limit=40,
            out=tmp_path / "run",
            store=tmp_path / "s.sqlite",
        )
    first = run.to_dict()
    rescored = trustbench.score_run(tmp_path / "run", store=tmp_path / "s.sqlite").to_dict()
    assert list(first["tasks"]) == list(rescored["tasks"])
    assert first["tasks"] == rescored["tasks"]
    assert first["scores"] == rescored["scores"]
    assert sum(task["n"] for task in first["tasks"].values()) > 100


def test_a_failing_judge_stops_the_run_with_its_error(tmp_path, monkeypatch):
    def broken(task, items, context=None):
        raise RuntimeError("judge broke")

    monkeypatch.setattr(evaluation, "judge_task", broken)
    interval = sys.getswitchinterval()
    with FakeOpenAIServer() as server, pytest.raises(RuntimeError, match="judge broke"):
        trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks="safety/misuse",
            out=tmp_path / "run",
            store=tmp_path / "s.sqlite",
        )
    assert sys.getswitchinterval() == interval  # given back


def broken_judge(task_id, items):
    """Run in the judging process (imported there by name)."""
    raise RuntimeError(f"judge of {task_id} broke")


def test_the_judging_process_reports_a_judge_error(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluation, "SCORING_PROCESS_MIN_ITEMS", 0)
    monkeypatch.setattr(evaluation, "_judge_in_worker", broken_judge)
    with FakeOpenAIServer() as server, pytest.raises(RuntimeError, match="safety/misuse broke"):
        trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks="safety/misuse",
            selection="full",
            limit=5,
            out=tmp_path / "run",
            store=tmp_path / "s.sqlite",
        )


CHILD_SCRIPT = """
import os, signal, sys
from trustbench.evaluation import JudgeOptions, _EarlyScoring
early = _EarlyScoring([], JudgeOptions(), {"task_files": {}, "tasks": {}}, process=True)
[worker] = early.pool._processes.values()
print(worker.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the judging process is forked on Linux")
def test_the_judging_process_ends_when_the_run_is_killed(tmp_path):
    import os
    import subprocess
    import time

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT], capture_output=True, text=True, env=env
    )
    assert done.returncode == -9, done.stderr
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 60  # generous: it checks twice a second
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker, 9)
    pytest.fail("the judging process outlived the run")
