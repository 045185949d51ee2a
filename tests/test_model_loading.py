"""An in-process model is read from disk once per run, however many tasks the run has."""

from __future__ import annotations

import json

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from trustbench.engine import Store  # noqa: E402
from trustbench.evaluation import evaluate  # noqa: E402
from trustbench.judges.llm import LLMJudge, Rubric  # noqa: E402
from trustbench.models import parse_model_spec  # noqa: E402


@pytest.fixture
def loads(monkeypatch):
    """Every llama.cpp model load, counted (the real class still does the work)."""
    counted: list[str] = []

    class CountingLlama(llama_cpp.Llama):
        def __init__(self, *args, **kwargs):
            counted.append(kwargs.get("model_path", ""))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(llama_cpp, "Llama", CountingLlama)
    return counted


def test_the_embedded_model_is_loaded_once_for_every_task(tmp_path, loads):
    tasks = "safety/misuse,privacy/leakage,ethics/explicit_moralchoice"
    evaluate(tasks=tasks, limit=1, max_tokens=4, out=tmp_path / "run")
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["model_calls"] == 3
    assert len(loads) == 1


@pytest.mark.slow
def test_an_in_process_judge_model_is_loaded_once_across_tasks(tmp_path, loads):
    store = Store(tmp_path / "store.sqlite")
    judge = LLMJudge(parse_model_spec("llamacpp"), store)
    rubric = Rubric("echo", "1", "Reply with the single word yes. {thing}")
    try:
        for things in (["Tomato."], ["Snow."]):  # as two tasks would ask it
            replies = judge.ask(rubric, [{"thing": t} for t in things])
            assert all(isinstance(reply, str) for reply in replies)
    finally:
        store.close()
    assert judge.calls == 2
    assert len(loads) == 1
