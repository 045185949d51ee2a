"""The OpenAI-compatible path against a small server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

import trustbench
import trustbench.suite
from fake_openai import FakeOpenAIServer
from trustbench.cli import main
from trustbench.data.schemas import DIMENSIONS
from trustbench.models.base import GenerationRequest
from trustbench.models.http_policy import HTTPPolicy
from trustbench.models.openai_http import OpenAIBackend
from trustbench.types import SamplingParams

SECRET = "sk-test-do-not-leak-0123456789"


def _generate(base_url: str, **kwargs) -> object:
    async def go():
        backend = OpenAIBackend("m", base_url, policy=HTTPPolicy(backoff=0.01, **kwargs))
        try:
            request = GenerationRequest(
                "k", [{"role": "user", "content": "hello"}], SamplingParams()
            )
            return await backend.generate(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_request_carries_model_messages_and_sampling():
    with FakeOpenAIServer(reply=lambda m: "hi there") as server:
        result = _generate(server.base_url)
    assert result.text == "hi there" and result.error is None
    body = server.bodies[0]
    assert body["model"] == "m"
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert body["temperature"] == 0.0 and body["max_tokens"] == 512 and body["seed"] == 0


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_failures_are_retried(status):
    with FakeOpenAIServer(reply=lambda m: "ok", failures=[status, status]) as server:
        result = _generate(server.base_url)
    assert result.text == "ok"
    assert len(server.bodies) == 3


def test_permanent_failure_is_an_error_not_an_empty_answer():
    with FakeOpenAIServer(failures=[400]) as server:
        result = _generate(server.base_url)
    assert result.text is None
    assert result.error.startswith("HTTP 400")
    assert len(server.bodies) == 1


def test_an_empty_answer_from_the_model_is_kept_as_the_answer():
    with FakeOpenAIServer(reply=lambda m: "") as server:
        result = _generate(server.base_url)
    assert result.text == "" and result.error is None
    assert len(server.bodies) == 1


def test_giving_up_after_attempts():
    with FakeOpenAIServer(failures=[503] * 10) as server:
        result = _generate(server.base_url, max_attempts=3)
    assert result.text is None and "3 attempts" in result.error
    assert len(server.bodies) == 3


def test_unreachable_server_is_an_error():
    result = _generate("http://127.0.0.1:9/v1", max_attempts=2)
    assert result.text is None and "attempts" in result.error


def test_permanent_failure_is_stored_and_retried_only_with_retry_errors(
    tmp_path, capsys, isolated_store
):
    with FakeOpenAIServer(failures=[400]) as server:
        args = ["run", "--model", "openai:m", "--base-url", server.base_url]
        args += ["--tasks", "safety/misuse", "--limit", "3", "--concurrency", "1", "--no-progress"]
        assert main([*args, "--out", str(tmp_path / "a")]) == 1
        captured = capsys.readouterr()
        assert "1 item(s) failed for good" in captured.err and "--retry-errors" in captured.err
        assert "items with no response" in captured.out and "HTTP 400" in captured.out
        rows = [json.loads(line) for line in (tmp_path / "a" / "responses.jsonl").open()]
        failed = [row for row in rows if row["error"]]
        assert len(failed) == 1 and failed[0]["response"] is None and failed[0]["verdict"] is None
        assert failed[0]["error"].startswith("HTTP 400: injected failure")
        assert failed[0]["permanent_error"] is True
        task = json.loads((tmp_path / "a" / "results.json").read_text())["tasks"]["safety/misuse"]
        assert task["errors"] == 1 and task["permanent_errors"] == 1 and task["n"] == 2
        assert task["error_messages"] == {failed[0]["error"]: 1}
        with sqlite3.connect(isolated_store) as db:
            assert db.execute("SELECT status, message FROM errors").fetchall() == [
                (400, failed[0]["error"])
            ]
            assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 2
        calls = len(server.bodies)

        # a plain run again reports the stored error and sends nothing
        assert main([*args, "--out", str(tmp_path / "b")]) == 1
        assert len(server.bodies) == calls
        again = [json.loads(line) for line in (tmp_path / "b" / "responses.jsonl").open()]
        assert [row["error"] for row in again if row["error"]] == [failed[0]["error"]]

        # --retry-errors sends only the failed item; its answer replaces the stored error
        assert main([*args, "--out", str(tmp_path / "c"), "--retry-errors"]) == 0
        assert len(server.bodies) == calls + 1
    with sqlite3.connect(isolated_store) as db:
        assert db.execute("SELECT COUNT(*) FROM errors").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 3


def test_api_key_is_sent_but_never_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MY_KEY", SECRET)
    out = tmp_path / "run"
    with FakeOpenAIServer() as server:
        code = main(
            ["run", "--model", "openai:m", "--base-url", server.base_url, "--api-key-env", "MY_KEY"]
            + ["--tasks", "ethics", "--limit", "2", "--out", str(out), "--json"]
        )
    assert code == 0
    assert server.headers[0]["Authorization"] == f"Bearer {SECRET}"
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    for path in out.iterdir():
        assert SECRET not in path.read_text()
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["model"]["api_key_env"] == "MY_KEY"


def test_credentials_in_base_url_are_not_recorded(tmp_path):
    with FakeOpenAIServer() as server:
        url = server.base_url.replace("http://", "http://user:pw@")
        trustbench.evaluate(model="openai:m", base_url=url, tasks="ethics", limit=1, out=tmp_path)
    manifest = (tmp_path / "run.json").read_text()
    assert "pw@" not in manifest and "user:" not in manifest


def test_full_run_against_server_writes_documented_files(tmp_path):
    with FakeOpenAIServer() as server:
        results = trustbench.evaluate(model="openai:m", base_url=server.base_url, out=tmp_path)
    document = json.loads((tmp_path / "results.json").read_text())
    assert document == results.to_dict()
    assert set(document["tasks"]) == set(trustbench.suite.TASKS)  # every task, all six dimensions
    assert set(document["scores"]["dimensions"]) == set(DIMENSIONS)
    manifest = json.loads((tmp_path / "run.json").read_text())
    assert manifest["selection"] == "quick"
    assert all(
        task["n"] + task.get("errors", 0) in (5, 6, 7) for task in document["tasks"].values()
    )
    for task in document["tasks"].values():
        assert {"dimension", "n", "invalid", "metrics"} <= set(task)
        for metric in task["metrics"].values():
            assert isinstance(metric["higher_is_better"], bool) and isinstance(metric["n"], int)
            assert metric["value"] is None or isinstance(metric["value"], float)
    manifest = json.loads((tmp_path / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["finished"]
    assert manifest["model"]["spec"] == "openai:m"
    assert manifest["sampling"]["safety/misuse"]["temperature"] == 1.0
    assert manifest["sampling"]["truthfulness/external"]["temperature"] == 0.0
    assert len(manifest["data"]["files"]["safety/misuse.json"]) == 64
    assert manifest["trustbench_version"] == trustbench.__version__
    lines = (tmp_path / "responses.jsonl").read_text().splitlines()
    assert len(lines) == sum(task["n"] for task in document["tasks"].values())
    row = json.loads(lines[0])
    assert {"task", "item_id", "messages", "response", "verdict"} <= set(row)
    assert row["verdict"]["judge"]
