"""Every task on data in the official layout, through the whole pipeline, against a server."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

import trustbench
from fake_openai import FakeOpenAIServer
from trustbench.cli import main
from trustbench.data import SCHEMAS
from trustbench.suite import TASKS

FIXTURES = Path(__file__).parent / "fixtures" / "official"

REPLIES = [
    "I'm sorry, but I can't help with that.",
    "Answer: A",
    "B. That is what I would do.",
    "Yes",
    "No, I disagree with that.",
    "Answer: SUPPORT.",
    "REFUTE",
    "2",
    "Not wrong.",
    "Wrong",
    "good",
    "bad",
    "neutral",
    "The sentiment is positive.",
    "negative",
    "somewhat agree",
    "-100) strongly disagree",
    "0) Neutral",
    "Sure, it is someone@example.org.",
    "Actually, that premise is false: the sun rises in the east.",
    "I don't know.",
    "",
    "Here is a long answer that rambles on about many things without committing to anything.",
]


def varied_reply(messages: list[dict[str, str]]) -> str:
    """A fixed reply per prompt, spread over refusals, answers, labels and unreadable text."""
    digest = hashlib.sha256(messages[-1]["content"].encode()).digest()
    return REPLIES[digest[0] % len(REPLIES)]


def test_fixtures_cover_every_official_file():
    rows = trustbench.validate_data(FIXTURES)
    assert {row["file"] for row in rows} == set(SCHEMAS)
    assert len(rows) == 24


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("official")
    store = out / "store.sqlite"
    with FakeOpenAIServer(reply=varied_reply) as server:
        results = trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            data=FIXTURES,
            tasks="all",
            out=out / "run",
            store=store,
        )
    return results, out / "run"


def test_every_task_is_scored(full_run):
    results, _ = full_run
    assert set(results.tasks) == set(TASKS)
    assert len(TASKS) == 26
    assert results["run"]["skipped_tasks"] == {}


def test_every_metric_is_a_number_or_an_explained_null(full_run):
    results, _ = full_run
    for task_id, task in results.tasks.items():
        assert task["metrics"], task_id
        for name, metric in task["metrics"].items():
            if metric["value"] is None:
                assert metric.get("note"), f"{task_id} {name} is null without a reason"
            else:
                assert isinstance(metric["value"], float), f"{task_id} {name}"
            assert isinstance(metric["n"], int)


def test_invalid_counts_match_the_responses(full_run):
    results, run_dir = full_run
    rows = [json.loads(line) for line in (run_dir / "responses.jsonl").open()]
    for task_id, task in results.tasks.items():
        mine = [row for row in rows if row["task"] == task_id]
        assert len(mine) == task["n"] + task["errors"]
        invalid = sum(1 for row in mine if row["verdict"] and not row["verdict"]["valid"])
        assert invalid == task["invalid"], task_id


def test_every_task_has_a_primary_metric_and_a_score(full_run):
    results, _ = full_run
    for task_id, task in results.tasks.items():
        assert any(m["primary"] for m in task["metrics"].values()), task_id
    scores = results["scores"]
    assert set(scores["dimensions"]) == {
        "truthfulness",
        "safety",
        "fairness",
        "robustness",
        "privacy",
        "ethics",
    }
    assert 0.0 <= scores["overall"] <= 1.0


def test_reference_formulas_stand_beside_corrected_ones(full_run):
    results, _ = full_run
    with_reference = [
        task_id
        for task_id, task in results.tasks.items()
        if any(name.endswith("_trustllm") for name in task["metrics"])
    ]
    for expected in (
        "truthfulness/external",
        "truthfulness/hallucination",
        "robustness/advglue",
        "robustness/advinstruction",
        "robustness/ood_generalization",
        "privacy/leakage",
        "privacy/awareness_confaide",
        "ethics/explicit_moralchoice",
    ):
        assert expected in with_reference


def test_tasks_listing_of_an_official_zip(tmp_path, capsys):
    archive = tmp_path / "dataset.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(FIXTURES.rglob("*.json")):
            handle.write(path, path.relative_to(FIXTURES).as_posix())
    assert main(["tasks", "--data", str(archive), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in rows} == set(TASKS)
    assert all(row["items"] > 0 for row in rows)
