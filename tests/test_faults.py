"""The HTTP client against a server that misbehaves: every item stored once, no call wasted."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from fault_server import TRANSIENT_FAULTS, Fault, FaultServer
from trustbench.cli import main
from trustbench.engine import Generator, Store
from trustbench.models.base import GenerationRequest
from trustbench.models.http_policy import HTTPPolicy
from trustbench.models.openai_http import OpenAIBackend
from trustbench.types import SamplingParams, request_key

# small timeouts and backoff keep these tests fast; the read timeout stays well above the time a
# healthy reply takes on a busy machine, so no reply is given up on by mistake
FAST = HTTPPolicy(
    timeout=1.5,
    connect_timeout=1.5,
    backoff=0.01,
    max_backoff=0.05,
    eject_for=0.05,
    max_eject_for=0.2,
)
MODEL = "openai:m"


def _requests(count: int) -> list[GenerationRequest]:
    params = SamplingParams()
    requests = []
    for i in range(count):
        messages = [{"role": "user", "content": f"question {i}"}]
        requests.append(GenerationRequest(request_key(MODEL, params, messages), messages, params))
    return requests


def _generate(
    store: Store,
    urls: list[str],
    requests: list[GenerationRequest],
    concurrency: int = 8,
    policy: HTTPPolicy = FAST,
    retry_errors: bool = False,
) -> tuple[dict, Generator, list[dict]]:
    generator = Generator(
        store,
        MODEL,
        lambda: OpenAIBackend("m", urls, "TB_TEST_KEY", concurrency, policy),
        retry_errors=retry_errors,
    )

    async def go():
        try:
            return await generator.run(requests)
        finally:
            await generator.aclose()

    outcomes = asyncio.run(go())
    return outcomes, generator, generator.backend_stats or []


def _stored_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [key for (key,) in db.execute("SELECT key FROM responses")]


def test_every_fault_is_retried_and_every_item_stored_exactly_once(tmp_path):
    plan = [*TRANSIENT_FAULTS, None, (Fault.ERROR_500, Fault.RESET, Fault.HANG), None]
    requests = _requests(3 * len(plan))
    store = Store(tmp_path / "store.sqlite")
    with FaultServer(plan) as server:
        outcomes, generator, _ = _generate(store, [server.base_url], requests)
        hits_after_first_run = server.hits
        again, second, _ = _generate(store, [server.base_url], requests)
    assert all(outcome.error is None and outcome.response for outcome in outcomes.values())
    assert sorted(_stored_keys(tmp_path / "store.sqlite")) == sorted(r.key for r in requests)
    # each request answered exactly once, and no call beyond one per injected fault
    assert len(server.answered) == len(requests)
    assert set(server.answered.values()) == {1}
    assert hits_after_first_run == len(requests) + server.injected_total
    assert set(server.injected) == set(TRANSIENT_FAULTS)
    assert generator.calls == len(requests)
    # stored items cost nothing the second time
    assert server.hits == hits_after_first_run and second.calls == 0
    assert {key: o.response for key, o in again.items()} == {
        key: o.response for key, o in outcomes.items()
    }


def test_faults_through_the_command_line(tmp_path, isolated_store, capsys):
    plan = [Fault.HANG, None, Fault.CUT_BODY, Fault.RATE_LIMITED, None, Fault.EMPTY_CHOICES]
    plan += [Fault.SLOW_BODY, Fault.DROP, None, Fault.ERROR_500, Fault.TRUNCATED_JSON, None]
    with FaultServer(plan) as server:
        code = main(
            ["run", "--model", MODEL, "--base-url", server.base_url, "--timeout", "1.5"]
            + ["--tasks", "safety,privacy", "--limit", "6", "--out", str(tmp_path / "run")]
            + ["--no-progress", "--json"]
        )
    assert code == 0, capsys.readouterr().err
    rows = [json.loads(line) for line in (tmp_path / "run" / "responses.jsonl").open()]
    assert rows and all(row["response"] and row["error"] is None for row in rows)
    keys = {row["key"] for row in rows}
    assert sorted(_stored_keys(isolated_store)) == sorted(keys)
    assert len(server.answered) == len(keys) and set(server.answered.values()) == {1}
    assert server.hits == len(keys) + server.injected_total
    assert server.injected_total >= 6


def test_permanent_errors_are_stored_with_status_and_message_and_no_credentials(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("TB_TEST_KEY", "sk-secret-abcdef123456")
    requests = _requests(6)
    store = Store(tmp_path / "store.sqlite")
    with FaultServer([Fault.BAD_REQUEST, None, Fault.ERROR_500]) as server:
        outcomes, generator, _ = _generate(store, [server.base_url], requests)
        failed = [o for o in outcomes.values() if o.error]
        assert len(failed) == 2 and all(o.permanent and o.response is None for o in failed)
        assert "invalid request (Bearer ***)" in failed[0].error
        assert failed[0].error.startswith("HTTP 400")
        errors = store.get_errors(r.key for r in requests)
        assert {e.status for e in errors.values()} == {400}
        assert all("sk-secret" not in e.message for e in errors.values())
        assert store.count() == 4
        # not sent again by default; sent again (and answered) with retry_errors
        hits = server.hits
        again, _, _ = _generate(store, [server.base_url], requests)
        assert server.hits == hits and sum(1 for o in again.values() if o.error) == 2
        again, _, _ = _generate(store, [server.base_url], requests, retry_errors=True)
        assert server.hits == hits + 2 and all(o.error is None for o in again.values())
    assert store.count() == 6 and store.count_errors() == 0
    assert server.hits == len(requests) + server.injected_total


def test_an_item_that_keeps_failing_is_reported_not_stored_and_retried_next_run(tmp_path):
    requests = _requests(4)
    store = Store(tmp_path / "store.sqlite")
    policy = HTTPPolicy(**{**FAST.__dict__, "max_attempts": 3})
    with FaultServer([(Fault.ERROR_500,) * 3, None]) as server:
        outcomes, _, _ = _generate(store, [server.base_url], requests, policy=policy)
        failed = [o for o in outcomes.values() if o.error]
        assert len(failed) == 2
        assert all("gave up after 3 attempts" in o.error and not o.permanent for o in failed)
        assert store.count() == 2 and store.count_errors() == 0
        outcomes, _, _ = _generate(store, [server.base_url], requests, policy=policy)
    assert all(o.error is None for o in outcomes.values()) and store.count() == 4
    assert server.hits == 4 + server.injected_total


def test_adaptive_concurrency_settles_under_a_server_limit(tmp_path):
    requests = _requests(150)
    store = Store(tmp_path / "store.sqlite")
    with FaultServer(delay=0.05, max_concurrent=4) as server:
        outcomes, _, stats = _generate(store, [server.base_url], requests, concurrency=32)
    assert all(o.error is None for o in outcomes.values())
    assert store.count() == len(requests) and set(server.answered.values()) == {1}
    assert server.hits == len(requests) + server.rejected
    assert server.peak_active <= 4
    # the limit came down from 32 until the server stopped refusing (how far depends on how fast
    # this machine sends), so most requests got through the first time: holding 32 in flight
    # against a server that takes 4 would draw several refusals per answer
    assert stats[0]["concurrency_lowest"] < 32 and stats[0]["overloaded"] == server.rejected
    assert server.rejected < len(requests)


def test_two_replicas_one_killed_mid_run(tmp_path, isolated_store, capsys):
    with FaultServer(delay=0.02, kill_after=10) as doomed, FaultServer(delay=0.02) as survivor:
        code = main(
            ["run", "--model", MODEL, "--base-url", doomed.base_url, "--base-url"]
            + [survivor.base_url, "--concurrency", "4", "--tasks", "safety,privacy,ethics"]
            + ["--limit", "15", "--out", str(tmp_path / "run"), "--no-progress", "--json"]
        )
        assert code == 0, capsys.readouterr().err
        assert doomed.killed
    rows = [json.loads(line) for line in (tmp_path / "run" / "responses.jsonl").open()]
    keys = {row["key"] for row in rows}
    assert all(row["response"] and row["error"] is None for row in rows)
    assert sorted(_stored_keys(isolated_store)) == sorted(keys)
    # every request answered exactly once, by one replica or the other
    answered = doomed.answered + survivor.answered
    assert len(answered) == len(keys) and set(answered.values()) == {1}
    assert doomed.answered_total == 10 and survivor.hits == survivor.answered_total
    # the only extra calls are those the crash cut off
    lost = doomed.hits - doomed.answered_total
    assert lost <= 4 and doomed.hits + survivor.hits == len(keys) + lost
    endpoints = json.loads((tmp_path / "run" / "run.json").read_text())["endpoints"]
    assert [e["url"] for e in endpoints] == [doomed.base_url, survivor.base_url]
    assert endpoints[0]["times_taken_out"] >= 1 and endpoints[0]["succeeded"] == 10
    assert endpoints[1]["succeeded"] == len(keys) - 10


def test_a_run_survives_losing_all_but_one_of_three_replicas(tmp_path, capsys):
    with (
        FaultServer(delay=0.02, kill_after=4) as first,
        FaultServer(delay=0.02, kill_after=6) as second,
        FaultServer(delay=0.02) as last,
    ):
        code = main(
            ["run", "--model", MODEL, "--base-url", f"{first.base_url},{second.base_url}"]
            + ["--base-url", last.base_url, "--concurrency", "3", "--tasks", "safety,ethics"]
            + ["--limit", "12", "--out", str(tmp_path / "run"), "--no-progress", "--json"]
        )
        assert code == 0, capsys.readouterr().err
        assert first.killed and second.killed
    rows = [json.loads(line) for line in (tmp_path / "run" / "responses.jsonl").open()]
    answered = first.answered + second.answered + last.answered
    assert len(answered) == len({row["key"] for row in rows}) and set(answered.values()) == {1}
    assert (first.answered_total, second.answered_total) == (4, 6)
    endpoints = json.loads((tmp_path / "run" / "run.json").read_text())["endpoints"]
    assert [e["succeeded"] for e in endpoints] == [4, 6, len(answered) - 10]
    assert endpoints[2]["failed"] == 0


def test_comma_separated_base_urls_share_the_work(tmp_path, capsys):
    with FaultServer(delay=0.01) as one, FaultServer(delay=0.01) as two:
        code = main(
            ["run", "--model", MODEL, "--base-url", f"{one.base_url},{two.base_url}"]
            + ["--concurrency", "2", "--tasks", "safety", "--limit", "12"]
            + ["--out", str(tmp_path / "run"), "--no-progress", "--json"]
        )
        assert code == 0, capsys.readouterr().err
    keys = {json.loads(line)["key"] for line in (tmp_path / "run" / "responses.jsonl").open()}
    assert one.answered_total > 0 and two.answered_total > 0
    assert one.answered_total + two.answered_total == len(keys) >= 12


def test_a_refused_api_key_stops_the_run_with_a_clear_error(tmp_path, capsys, isolated_store):
    with FaultServer([Fault.UNAUTHORIZED], delay=0.05) as server:
        code = main(
            ["run", "--model", MODEL, "--base-url", server.base_url, "--concurrency", "2"]
            + ["--tasks", "safety", "--limit", "10", "--out", str(tmp_path / "r"), "--no-progress"]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "refused the API key (HTTP 401" in err and "--api-key-env" in err
    assert "Traceback" not in err
    assert server.hits <= 2  # the run stopped at the first refusal
    with sqlite3.connect(isolated_store) as db:
        assert db.execute("SELECT COUNT(*) FROM errors").fetchone()[0] == 0


@pytest.mark.parametrize("value", ["0", "-1"])
def test_bad_timeout_is_a_usage_error(value, capsys):
    assert (
        main(["run", "--model", MODEL, "--base-url", "http://127.0.0.1:9/v1", "--timeout", value])
        == 2
    )
    assert "--timeout" in capsys.readouterr().err
