"""Tasks are judged in a thread while later tasks generate: the results are those of judging
every task after generation (as `trustbench score` does), and nothing is lost on failure."""

from __future__ import annotations

import json
import re
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


def broken_judge(task_id, items, *args):
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


# Judging in chunks as responses arrive ---------------------------------------------------------

CHUNKED_TASKS = (
    "safety/misuse,safety/exaggerated_safety,privacy/awareness_query,ethics/social_norm,"
    "ethics/explicit_moralchoice,fairness/stereotype_recognition,robustness/advglue"
)

REPLIES = [
    "I'm sorry, but I can't help with that.",
    "Sure, here is how you do it: first, open the settings and choose the account.",
    "I can't assist with that request. However, in general terms, "
    + "there are many legitimate reasons to learn about security, and " * 8,
    "",
    "A. That is the right thing to do.",
    "Answer: SUPPORT.",
    "It is not appropriate to say; it depends on the context.",
]


def varied_reply(messages):
    """Refusals, answers, hedges and empty replies, the same for the same prompt."""
    import hashlib

    digest = hashlib.sha256(messages[-1]["content"].encode()).digest()
    return REPLIES[digest[0] % len(REPLIES)]


@pytest.mark.parametrize("process", [False, True])
def test_chunked_judging_equals_scoring_the_run_afterwards(tmp_path, monkeypatch, process):
    monkeypatch.setattr(evaluation, "SCORING_PROCESS_MIN_ITEMS", 0 if process else 10**9)
    monkeypatch.setattr(evaluation, "JUDGE_CHUNK_ITEMS", 7)
    chunked: list[str] = []
    submit_chunk = evaluation._EarlyScoring.submit_chunk

    def spy(self, index, positions, items):
        chunked.extend(item.task_id for item in items)
        return submit_chunk(self, index, positions, items)

    monkeypatch.setattr(evaluation._EarlyScoring, "submit_chunk", spy)
    # two permanent errors (HTTP 400) among the first requests: items that stay unjudged
    with FakeOpenAIServer(reply=varied_reply, failures=[400, 400]) as server:
        run = trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks=CHUNKED_TASKS,
            selection="full",
            limit=40,
            out=tmp_path / "run",
            store=tmp_path / "s.sqlite",
        )
    first = run.to_dict()
    assert sum(task["errors"] for task in first["tasks"].values()) == 2
    # the per-item tasks went in chunks; the batch judges that read all items at once did not
    assert "safety/misuse" in chunked and "ethics/social_norm" in chunked
    assert "fairness/stereotype_recognition" not in chunked
    assert "robustness/advglue" not in chunked
    rescored = trustbench.score_run(tmp_path / "run", store=tmp_path / "s.sqlite").to_dict()
    assert first["tasks"] == rescored["tasks"]
    assert first["scores"] == rescored["scores"]
    rows = [json.loads(line) for line in (tmp_path / "run" / "responses.jsonl").open()]
    verdicts = [row["verdict"] for row in rows]
    assert len({v["label"] for v in verdicts if v}) >= 3  # refusals, compliance, invalid...
    # the verdicts written by the run are those `trustbench score` wrote again
    trustbench.evaluate(
        model="openai:m",
        base_url="http://127.0.0.1:9",  # every response is in the store: no call is made
        tasks=CHUNKED_TASKS,
        selection="full",
        limit=40,
        out=tmp_path / "again",
        store=tmp_path / "s.sqlite",
    )
    again = [json.loads(line) for line in (tmp_path / "again" / "responses.jsonl").open()]
    assert [row["verdict"] for row in again] == verdicts


def test_which_tasks_are_judged_item_by_item():
    from trustbench.judges.context import JudgeContext
    from trustbench.judges.refusal import RuleRefusalJudge, default_refusal_judge
    from trustbench.suite import TASKS

    class WholeBatchJudge(RuleRefusalJudge):
        per_item = False  # e.g. a model whose batches are padded together

    default = JudgeContext({"refusal": default_refusal_judge})
    assert default_refusal_judge().per_item
    assert TASKS["safety/misuse"].judges_each_item(default)
    assert TASKS["ethics/explicit_moralchoice"].judges_each_item(default)  # with_refusals
    assert TASKS["ethics/social_norm"].judges_each_item(default)  # a per-item judge
    assert not TASKS["fairness/stereotype_recognition"].judges_each_item(default)
    assert not TASKS["truthfulness/sycophancy_persona"].judges_each_item(default)
    whole = JudgeContext({"refusal": WholeBatchJudge})
    assert not TASKS["safety/misuse"].judges_each_item(whole)
    assert not TASKS["ethics/explicit_moralchoice"].judges_each_item(whole)
    assert TASKS["ethics/social_norm"].judges_each_item(whole)


def test_a_task_whose_judge_is_not_per_item_is_judged_whole(tmp_path, monkeypatch):
    class WholeBatchJudge:
        name, version = "whole", "1"
        seen: list[int] = []

        def judge_many(self, responses, prompts=None):
            from trustbench.judges.refusal import RuleRefusalJudge

            WholeBatchJudge.seen.append(len(responses))
            return RuleRefusalJudge().judge_many(responses, prompts)

    monkeypatch.setattr(evaluation, "make_refusal_judge", lambda options, store: WholeBatchJudge())
    monkeypatch.setattr(evaluation, "SCORING_PROCESS_MIN_ITEMS", 10**9)
    monkeypatch.setattr(evaluation, "JUDGE_CHUNK_ITEMS", 7)
    with FakeOpenAIServer(reply=varied_reply) as server:
        run = trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks="safety/misuse",
            selection="full",
            limit=30,
            out=tmp_path / "run",
            store=tmp_path / "s.sqlite",
        )
    assert run.tasks["safety/misuse"]["n"] == 30
    assert WholeBatchJudge.seen == [30]  # once, over every item


def test_chunks_cover_every_item_once():
    from trustbench.judges.context import JudgeContext
    from trustbench.scoring import ChunkedJudging, ItemResult, judge_task
    from trustbench.suite import TASKS

    task = TASKS["safety/misuse"]
    items = [
        ItemResult(task.id, str(i), {"prompt": f"p{i}", "source": "s"}, [], f"k{i}", REPLIES[i % 7])
        for i in range(20)
    ]
    items[3] = ItemResult(task.id, "3", {"prompt": "p3", "source": "s"}, [], "k3", None, "HTTP 400")
    context = JudgeContext({})
    partial = ChunkedJudging(task, context)
    partial.add([5, 1, 3], [items[5], items[1], items[3]])
    partial.add(list(range(10, 20)), items[10:])
    rest = [p for p in range(20) if p not in {1, 3, 5} and p < 10]
    assert partial.finish(rest, [items[p] for p in rest]) == judge_task(task, items, context)
    incomplete = ChunkedJudging(task, context)
    incomplete.add([0, 2], [items[0], items[2]])
    with pytest.raises(ValueError, match="do not cover"):
        incomplete.finish()


def test_charts_drawn_while_generating_are_those_the_report_draws(tmp_path, monkeypatch):
    from trustbench.report import html

    monkeypatch.setattr(evaluation, "SCORING_PROCESS_MIN_ITEMS", 0)
    with FakeOpenAIServer(reply=varied_reply) as server:
        run = trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            tasks="safety/misuse,ethics/social_norm",
            selection="full",
            limit=20,
            out=tmp_path / "run",
            store=tmp_path / "s.sqlite",
            draw_charts=True,
        )
    assert len(run.charts) == 3  # each task's, and the radar of the dimension scores
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    series = html.radar_series(run["scores"], manifest, run.to_dict())
    assert html.chart_key(series) in run.charts
    for task in run.tasks.values():
        rows = html.chart_rows(task["metrics"])
        drawn = run.charts[html.chart_key(rows)]
        # the same chart but for the ids' prefix, which keeps them unique on the page
        fresh = html.task_chart(rows)
        assert re.sub(r"\bt\d+-", "", drawn) == re.sub(r"\bc\d+-", "", fresh)
    page = html.render_report(tmp_path / "run", nonce="n", charts=run.charts)
    assert all(svg in page for svg in run.charts.values())
