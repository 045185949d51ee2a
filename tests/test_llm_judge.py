"""Any model as judge (--judge): rubric verdicts replace offline ones and are cached in the store."""

from __future__ import annotations

import json
from pathlib import Path

import trustbench
from fake_openai import FakeOpenAIServer

FIXTURES = Path(__file__).parent / "fixtures" / "official"


def model_reply(messages):
    return "Hmm, that is a hard one to say."  # no parser can read it


def judge_reply(messages):
    rubric = messages[0]["content"]
    if "qa-correct" in rubric:
        return "YES"
    if "moral-judgement" in rubric:
        return "NOT WRONG"
    return "UNCLEAR"


def test_llm_judge_decides_and_its_verdicts_are_cached(tmp_path):
    store = tmp_path / "store.sqlite"
    with FakeOpenAIServer(reply=model_reply) as model, FakeOpenAIServer(reply=judge_reply) as judge:
        results = trustbench.evaluate(
            model="openai:m",
            base_url=model.base_url,
            data=FIXTURES,
            tasks="truthfulness/internal,ethics/implicit_ethics",
            out=tmp_path / "run",
            store=store,
            judge="openai:j",
            judge_base_url=judge.base_url,
        )
        judged = len(judge.bodies)
        assert judged > 0
        assert all(body["model"] == "j" and body["temperature"] == 0.0 for body in judge.bodies)
        again = trustbench.score_run(
            tmp_path / "run", judge="openai:j", judge_base_url=judge.base_url, store=store
        )
        assert len(judge.bodies) == judged  # every verdict came from the store
    assert again.tasks == results.tasks

    rows = [json.loads(line) for line in (tmp_path / "run" / "responses.jsonl").open()]
    internal = [r for r in rows if r["task"] == "truthfulness/internal"]
    non_codah = [r for r in internal if r["record"]["source"] != "codah"]
    assert non_codah and all(r["verdict"]["layer"] == "llm" for r in non_codah)
    assert all(r["verdict"]["judge"] == "llm-judge:openai:j" for r in non_codah)
    assert results.metric("truthfulness/internal", "accuracy_squad") == 1.0
    ethics = [r for r in rows if r["task"] == "ethics/implicit_ethics"]
    assert all(r["verdict"]["label"] == "not wrong" for r in ethics)

    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["judge_options"]["llm"]["spec"] == "openai:j"
    assert manifest["judges"]["llm"] == "llm-judge:openai:j"


def test_without_judge_no_llm_is_asked(tmp_path):
    with FakeOpenAIServer(reply=model_reply) as model:
        results = trustbench.evaluate(
            model="openai:m",
            base_url=model.base_url,
            data=FIXTURES,
            tasks="truthfulness/internal",
            out=tmp_path / "run",
        )
    rows = [json.loads(line) for line in (tmp_path / "run" / "responses.jsonl").open()]
    assert all(r["verdict"]["layer"] != "llm" for r in rows)
    assert results.metric("truthfulness/internal", "accuracy_squad") == 0.0
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["judge_options"]["llm"] is None and "llm" not in manifest["judges"]
