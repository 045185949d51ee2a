"""--executor ray on a local Ray instance (2 CPUs) with the embedded model."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from trustbench.cli import main
from trustbench.errors import UsageError
from trustbench.evaluation import evaluate

TASKS = "safety/misuse,privacy/leakage"
LIMIT = 3


def _options(tmp_path, name):
    return {
        "tasks": TASKS,
        "limit": LIMIT,
        "max_tokens": 16,
        "temperature": 0.0,
        "out": tmp_path / name,
        "store": tmp_path / f"{name}.sqlite",
    }


def _responses(run_dir):
    rows = [json.loads(line) for line in (run_dir / "responses.jsonl").open()]
    return [(row["task"], row["item_id"], row["response"]) for row in rows]


def _manifest(run_dir):
    return json.loads((run_dir / "run.json").read_text())


def _stored(store) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:  # created but no table yet
        return 0


# -- checks made before anything starts (Ray not needed)


def test_ray_options_need_the_ray_executor(tmp_path):
    with pytest.raises(UsageError, match="--ray-workers needs --executor ray"):
        evaluate(tasks="safety/misuse", limit=1, out=tmp_path, ray_workers=2)


def test_ray_executor_refuses_a_remote_model(tmp_path):
    code = main(
        ["run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--executor", "ray"]
        + ["--out", str(tmp_path)]
    )
    assert code == 2


def test_missing_ray_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(UsageError, match=r"pip install 'trustbench\[ray\]'"):
        evaluate(tasks="safety/misuse", limit=1, out=tmp_path, executor="ray")


# -- real runs on a local Ray instance


@pytest.fixture(scope="module")
def ray_address():
    ray = pytest.importorskip("ray")
    pytest.importorskip("llama_cpp")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_ray_run_equals_local_run_and_each_worker_loads_once(tmp_path, ray_address):
    local = evaluate(**_options(tmp_path, "local"))
    sharded = evaluate(
        **_options(tmp_path, "ray"), executor="ray", ray_workers=2, ray_cpus_per_worker=1
    )
    assert _responses(tmp_path / "ray") == _responses(tmp_path / "local")
    assert sharded.tasks == local.tasks
    manifest = _manifest(tmp_path / "ray")
    executor = manifest["executor"]
    assert executor["kind"] == "ray" and executor["workers"] == 2
    stats = executor["worker_stats"]
    assert len(stats) == 2 and len({s["pid"] for s in stats}) == 2
    assert all(s["loads"] == 1 for s in stats)  # one model per actor, across both tasks
    assert all(s["calls"] >= 1 for s in stats)  # both actors did work
    assert sum(s["calls"] for s in stats) == manifest["model_calls"] == 2 * LIMIT

    again = evaluate(
        **_options(tmp_path, "ray"), executor="ray", ray_workers=2, ray_cpus_per_worker=1
    )
    manifest = _manifest(tmp_path / "ray")
    assert manifest["model_calls"] == 0
    assert manifest["executor"] == {"kind": "ray"}  # nothing to generate: no actor started
    assert again.tasks == local.tasks


@pytest.mark.slow
def test_interrupted_ray_run_resumes_without_calls_for_stored_items(tmp_path, ray_address):
    store, out = tmp_path / "store.sqlite", tmp_path / "run"
    command = [sys.executable, "-m", "trustbench", "run", "--tasks", "safety/misuse"]
    command += ["--limit", "6", "--max-tokens", "80", "--temperature", "1.0"]
    command += ["--out", str(out), "--store", str(store), "--executor", "ray"]
    command += ["--ray-address", ray_address, "--ray-workers", "2", "--ray-cpus-per-worker", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while _stored(store) < 1 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "safety/misuse" in stderr  # the progress bar was drawn
    assert _manifest(out)["status"] == "interrupted"
    stored = _stored(store)
    assert 1 <= stored < 6

    resumed = subprocess.run(
        command + ["--no-progress"], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    manifest = _manifest(out)
    assert manifest["status"] == "complete"
    assert manifest["model_calls"] == 6 - stored
    assert sum(s["calls"] for s in manifest["executor"]["worker_stats"]) == 6 - stored
    assert _stored(store) == 6
    rows = [json.loads(line) for line in (out / "responses.jsonl").open()]
    assert sum(row["cached"] for row in rows) == stored


@pytest.mark.slow
def test_an_hf_model_over_ray_equals_a_local_run(tmp_path, ray_address):
    pytest.importorskip("transformers")
    from tiny_models import tiny_chat_lm

    folder = tiny_chat_lm(tmp_path / "tiny")
    options = {"tasks": "safety/misuse", "limit": 6, "max_tokens": 4, "temperature": 0.0}
    model = f"hf:{folder}?batch_size=2"
    local = evaluate(model=model, out=tmp_path / "local", store=tmp_path / "l.db", **options)
    sharded = evaluate(
        model=model,
        out=tmp_path / "ray",
        store=tmp_path / "r.db",
        executor="ray",
        ray_workers=2,
        ray_cpus_per_worker=1,
        **options,
    )
    assert _responses(tmp_path / "ray") == _responses(tmp_path / "local")
    assert sharded.tasks == local.tasks
    stats = _manifest(tmp_path / "ray")["executor"]["worker_stats"]
    assert [s["loads"] for s in stats] == [1, 1] and all(s["ready"] for s in stats)
    assert all(s["calls"] >= 1 for s in stats)  # both actors did work
    assert sum(s["calls"] for s in stats) == 6
