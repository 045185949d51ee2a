"""`trustbench run --dry-run`: requests, tokens, cost and time, with no model call."""

from __future__ import annotations

import json
import math

import pytest

import trustbench
from fake_openai import FakeOpenAIServer
from trustbench.cli import main
from trustbench.data import open_data
from trustbench.planning import measured_throughput, parse_throughput
from trustbench.suite import select_tasks


def _dry_run(capsys, *args: str) -> dict:
    assert main(["run", "--dry-run", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _chars_estimate(messages: list[dict]) -> int:
    return sum(math.ceil(len(m["content"]) / 4) + 4 for m in messages) + 3


def test_counts_match_the_selected_items_and_no_request_is_sent(tmp_path, capsys, isolated_store):
    with FakeOpenAIServer() as server:
        plan = _dry_run(
            capsys, "--model", "openai:m", "--base-url", server.base_url,
            "--tasks", "safety,privacy", "--limit", "5", "--max-tokens", "100",
            "--out", str(tmp_path / "run"),
        )  # fmt: skip
        assert server.total == 0 and server.bodies == []
    assert not (tmp_path / "run").exists() and not isolated_store.exists()
    source = open_data(None)
    expected = {}
    for task in select_tasks("safety,privacy"):
        if source.has(task.file):
            expected[task.id] = task.items(source.load(task.file).records, 5)
    assert set(plan["tasks"]) == set(expected)
    for task_id, items in expected.items():
        row = plan["tasks"][task_id]
        assert row["items"] == row["requests"] + row["shared"] == len(items) == 5
        assert row["stored"] == 0 and row["shared"] == (5 if task_id == "safety/toxicity" else 0)
        sent = items if not row["shared"] else []
        assert row["prompt_tokens"] == sum(_chars_estimate(i.messages) for i in sent)
        assert row["completion_tokens"] == row["completion_tokens_max"] == row["requests"] * 100
        assert row["cost_usd"] is None and row["seconds"] is None
    assert plan["total"]["requests"] == 5 * (len(expected) - 1)  # toxicity shares jailbreak's
    assert plan["prompt_tokens_exact"] is False
    assert "4 characters per token" in plan["prompt_tokens_method"]


def test_a_default_dry_run_plans_the_quick_selection_that_a_run_sends(tmp_path, capsys):
    plan = _dry_run(capsys, "--model", "openai:m", "--tasks", "safety,ethics")
    assert plan["selection"] == "quick"
    with FakeOpenAIServer() as server:
        results = trustbench.evaluate(
            model="openai:m", base_url=server.base_url, tasks="safety,ethics", out=tmp_path / "r"
        )
        bodies = list(server.bodies)
    assert plan["total"]["requests"] == len({json.dumps(b, sort_keys=True) for b in bodies})
    assert plan["tasks"]["safety/toxicity"]["shared"] > 0  # it reuses jailbreak's prompts
    for task_id, row in plan["tasks"].items():
        assert row["items"] == results.tasks[task_id]["n"] == row["requests"] + row["shared"]
        assert row["completion_tokens_max"] == row["requests"] * 128  # a quick run's cap
    assert {b["max_tokens"] for b in bodies} == {128}


def test_stored_responses_are_counted_apart_and_cost_nothing(tmp_path, capsys):
    with FakeOpenAIServer() as server:
        trustbench.evaluate(
            model="openai:m", base_url=server.base_url, tasks="safety/misuse,privacy/awareness_query", limit=3,
            out=tmp_path / "first",
        )  # fmt: skip
        calls = server.total
        plan = _dry_run(
            capsys, "--model", "openai:m", "--base-url", server.base_url,
            "--tasks", "safety/misuse,privacy/awareness_query", "--limit", "5", "--price-in", "2", "--price-out", "10",
            "--throughput", "4req/s",
        )  # fmt: skip
        assert server.total == calls == 6
    row = plan["tasks"]["safety/misuse"]
    assert (row["items"], row["stored"], row["requests"]) == (5, 3, 2)
    # the fake server reports 5 completion tokens per reply: the mean of the stored ones
    assert row["completion_tokens"] == 2 * 5
    assert row["completion_basis"].startswith("mean of 3 stored responses")
    assert row["cost_usd"] == pytest.approx(row["prompt_tokens"] * 2 / 1e6 + 10 * 10 / 1e6)
    assert row["seconds"] == pytest.approx(2 / 4, abs=0.05)
    assert plan["total"]["stored"] == 6 and plan["total"]["requests"] == 4
    assert plan["throughput"]["source"] == "given"


def test_throughput_is_measured_from_the_store(tmp_path, capsys):
    with FakeOpenAIServer(delay=0.01) as server:
        trustbench.evaluate(
            model="openai:m", base_url=server.base_url, tasks="safety", out=tmp_path / "first",
            concurrency=1,
        )  # fmt: skip
        plan = _dry_run(
            capsys, "--model", "openai:m", "--base-url", server.base_url,
            "--tasks", "safety", "--seed", "1",
        )  # fmt: skip
    rate = plan["throughput"]
    assert rate["source"] == "measured" and rate["requests_per_s"] > 0
    assert rate["tokens_per_s"] == pytest.approx(5 * rate["requests_per_s"])
    row = plan["tasks"]["safety/misuse"]
    assert row["stored"] == 0 and row["requests"] == row["items"] > 0  # another seed: new requests
    assert row["seconds"] == pytest.approx(
        row["completion_tokens"] / rate["tokens_per_s"], abs=0.05
    )


def test_measured_throughput_counts_sittings_apart():
    usage = {"completion_tokens": 10}
    first = [(100.0 + i, usage) for i in range(6)]  # 5 responses after the first in 5 s
    second = [(1000.0 + 2 * i, usage) for i in range(6)]  # 5 more in 10 s, after a long gap
    rate = measured_throughput(first + second)
    assert rate is not None
    assert rate.requests_per_s == pytest.approx(10 / 15)
    assert rate.tokens_per_s == pytest.approx(100 / 15)
    assert measured_throughput(first[:3]) is None  # too few to measure


def test_given_throughput_units():
    assert parse_throughput("120").tokens_per_s == 120
    assert parse_throughput("120tok/s").tokens_per_s == 120
    assert parse_throughput("2.5req/s").requests_per_s == 2.5
    assert parse_throughput("2req/s").seconds(10, 5000) == 5
    assert parse_throughput("100").seconds(10, 5000) == 50


@pytest.mark.parametrize(
    "args",
    [
        ["--dry-run", "--throughput", "fast"],
        ["--dry-run", "--price-in", "-1"],
        ["--price-in", "1"],  # prices only make sense with --dry-run
    ],
)
def test_bad_cost_options_are_usage_errors(args, capsys):
    assert main(["run", "--model", "openai:m", *args]) == 2
    assert capsys.readouterr().err.startswith("trustbench: error:")


def test_unreadable_store_is_a_clear_error(tmp_path, capsys):
    store = tmp_path / "broken.sqlite"
    store.write_bytes(b"this is not a database" * 100)
    assert main(["run", "--dry-run", "--model", "openai:m", "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"trustbench: error: {store}: cannot open the response store")
    assert "Traceback" not in err


def test_table_output_names_the_counting_method(capsys):
    assert main(["run", "--dry-run", "--model", "openai:m", "--tasks", "safety"]) == 0
    out = capsys.readouterr().out
    assert "safety/misuse" in out and "total" in out
    assert "4 characters per token" in out


def test_embedded_model_is_counted_with_its_own_tokenizer(tmp_path):
    pytest.importorskip("llama_cpp")
    import asyncio

    from trustbench.models import GenerationRequest, default_gguf_path
    from trustbench.models.llamacpp import LlamaCppBackend
    from trustbench.models.tokens import LlamaCppTokens
    from trustbench.types import SamplingParams

    counter = LlamaCppTokens(default_gguf_path())
    messages = [
        {"role": "system", "content": "You are a careful assistant."},
        {"role": "user", "content": "Is the email address of Marta Quell public? Answer briefly."},
    ]
    backend = LlamaCppBackend(default_gguf_path())

    async def generate():
        try:
            return await backend.generate(
                GenerationRequest("k", messages, SamplingParams(max_tokens=1))
            )
        finally:
            await backend.aclose()

    result = asyncio.run(generate())
    assert counter.exact and counter.count(messages) == result.usage["prompt_tokens"]
    plan = trustbench.estimate_run(tasks="safety", limit=2, store=tmp_path / "none.sqlite")
    assert plan["prompt_tokens_exact"] is True
    assert "llama.cpp tokenizer" in plan["prompt_tokens_method"]
    assert not (tmp_path / "none.sqlite").exists()
