"""Task files end to end: `trustbench run --task-file` against a server, then `score` again."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from sklearn.metrics import f1_score

import trustbench
from fake_openai import FakeOpenAIServer
from trustbench.cli import main

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = ["over_refusal.yaml", "harmful_questions.yaml", "hallucination_qa.yaml"]

REFUSE = "I'm sorry, but I can't help with that."
COMPLY = "Sure! Here is how you can do it: first, gather what you need, then follow the steps."

OVER_REFUSAL = list(csv.DictReader((EXAMPLES / "over_refusal.csv").open(encoding="utf-8")))
HARMFUL = [json.loads(line) for line in (EXAMPLES / "harmful_questions.jsonl").open()]
HALLUCINATION = json.loads((EXAMPLES / "hallucination_qa.json").read_text(encoding="utf-8"))

REFUSED_CATEGORIES = {"weapons", "violence", "drugs"}
EMPTY_QUESTION = HARMFUL[4]["question"]  # a fraud question that gets an empty reply
SENTIMENTS = [
    ("The battery lasts all day and charges fast.", "positive", "phone"),
    ("The screen cracked within a week.", "negative", "phone"),
    ("It is a phone. It makes calls.", "neutral", "phone"),
    ("Comfortable, warm and well stitched.", "positive", "jacket"),
    ("The zip broke on the first day.", "negative", "jacket"),
    ("It arrived in a brown box.", "neutral", "jacket"),
    ("Best kettle I have owned.", "positive", "kettle"),
    ("It leaks when full.", "negative", "kettle"),
]
# What the fake model says about each review: right, except for the last two.
SENTIMENT_REPLIES = {
    **{text: f"Sentiment: {gold}" for text, gold, _ in SENTIMENTS[:6]},
    SENTIMENTS[6][0]: "Sentiment: neutral",
    SENTIMENTS[7][0]: "It is hard to say.",
}


def hallucination_reply(content: str) -> str:
    index = next(
        i
        for i, r in enumerate(HALLUCINATION)
        if r["question"] in content and r["answer"] in content
    )
    gold = HALLUCINATION[index]["judgement"]
    if index < 16:
        return f"{gold}. The answer is checked against the knowledge."
    if index < 20:
        return "No." if gold == "Yes" else "Yes."
    return "Hard to tell without more context."


def reply(messages: list[dict[str, str]]) -> str:
    content = messages[-1]["content"]
    if "hallucination" in content:
        return hallucination_reply(content)
    if content.startswith("Review:"):
        return SENTIMENT_REPLIES[content.removeprefix("Review: ").split("\n")[0]]
    question = next((r for r in HARMFUL if r["question"] == content), None)
    if question is not None:
        if content == EMPTY_QUESTION:
            return ""
        return REFUSE if question["category"] in REFUSED_CATEGORIES else COMPLY
    return REFUSE if "kill" in content.lower() else COMPLY


def write_sentiment_task(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "reviews.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "sentiment", "product"])
        writer.writerows(SENTIMENTS)
    (folder / "sentiment.yaml").write_text(
        "id: review_sentiment\n"
        "description: Sentiment of product reviews\n"
        "data: reviews.csv\n"
        'prompt: "Review: {review}\\nIs it positive, negative or neutral?"\n'
        "judge:\n"
        "  kind: labels\n"
        "  labels: [positive, negative, neutral]\n"
        "  gold: sentiment\n"
        "metric:\n"
        "  - kind: macro_f1\n"
        "  - kind: accuracy\n"
        "    group_by: product\n",
        encoding="utf-8",
    )
    return folder / "sentiment.yaml"


def rate(rows, hit) -> float:
    return round(sum(1 for r in rows if hit(r)) / len(rows), 6)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The three examples and a CSV task written here, run once through the CLI."""
    root = tmp_path_factory.mktemp("task-files")
    sentiment = write_sentiment_task(root / "mine")
    files = [str(EXAMPLES / name) for name in EXAMPLE_FILES] + [str(sentiment)]
    argv = ["run", "--model", "openai:m", "--out", str(root / "run"), "--store"]
    argv += [str(root / "store.sqlite"), "--no-progress"]
    with FakeOpenAIServer(reply=reply) as server:
        base = ["--base-url", server.base_url]
        code = main(argv + base + [arg for f in files for arg in ("--task-file", f)])
        bodies = list(server.bodies)
    results = json.loads((root / "run" / "results.json").read_text(encoding="utf-8"))
    return code, results, root, bodies


def test_only_the_task_files_run(example_run):
    code, results, _, bodies = example_run
    assert code == 0
    assert list(results["tasks"]) == [
        "safety/over_refusal",
        "safety/harmful_questions",
        "truthfulness/hallucination_qa",
        "custom/review_sentiment",
    ]
    assert len(bodies) == len(OVER_REFUSAL) + len(HARMFUL) + len(HALLUCINATION) + len(SENTIMENTS)


def test_over_refusal_rate_is_lower_is_better_and_grouped_by_type(example_run):
    task = example_run[1]["tasks"]["safety/over_refusal"]
    metrics = task["metrics"]
    assert task["n"] == 24 and task["invalid"] == 0 and task["judge"] == "refusal"
    refused = lambda r: "kill" in r["prompt"].lower()  # noqa: E731
    assert metrics["refusal_rate"]["value"] == rate(OVER_REFUSAL, refused)
    assert (
        metrics["refusal_rate"]["higher_is_better"] is False and metrics["refusal_rate"]["primary"]
    )
    for kind in {r["type"] for r in OVER_REFUSAL}:
        rows = [r for r in OVER_REFUSAL if r["type"] == kind]
        assert metrics[f"refusal_rate_{kind}"]["value"] == rate(rows, refused)
        assert metrics[f"refusal_rate_{kind}"]["n"] == len(rows)
    assert task["score"] == pytest.approx(1 - rate(OVER_REFUSAL, refused), abs=1e-6)


def test_harmful_questions_refusal_rate_by_category_keeps_the_empty_reply(example_run):
    task = example_run[1]["tasks"]["safety/harmful_questions"]
    metrics = task["metrics"]
    refused = lambda r: r["category"] in REFUSED_CATEGORIES  # noqa: E731
    assert task["n"] == 24 and task["invalid"] == 1  # the empty reply: in the denominator
    assert metrics["refusal_rate"]["value"] == rate(HARMFUL, refused)
    assert metrics["refusal_rate"]["higher_is_better"] is True
    for category in {r["category"] for r in HARMFUL}:
        rows = [r for r in HARMFUL if r["category"] == category]
        assert metrics[f"refusal_rate_{category}"]["value"] == rate(rows, refused)


def test_hallucination_accuracy_and_macro_f1_against_the_judgement(example_run):
    task = example_run[1]["tasks"]["truthfulness/hallucination_qa"]
    gold = [r["judgement"].lower() for r in HALLUCINATION]
    predicted = [g if i < 16 else ("no" if g == "yes" else "yes") for i, g in enumerate(gold)]
    predicted[20:] = ["unreadable", "unreadable"]
    assert task["n"] == 22 and task["invalid"] == 2
    assert task["metrics"]["accuracy"]["value"] == round(16 / 22, 6)
    expected_f1 = f1_score(gold, predicted, labels=["yes", "no"], average="macro")
    assert task["metrics"]["macro_f1"]["value"] == pytest.approx(expected_f1, abs=1e-6)
    assert task["metrics"]["accuracy"]["primary"] and not task["metrics"]["macro_f1"]["primary"]


def test_a_csv_task_written_here_scores_labels(example_run):
    task = example_run[1]["tasks"]["custom/review_sentiment"]
    gold = [g for _, g, _ in SENTIMENTS]
    predicted = gold[:6] + ["neutral", "unreadable"]
    expected_f1 = f1_score(
        gold, predicted, labels=["positive", "negative", "neutral"], average="macro"
    )
    assert task["dimension"] == "custom" and task["invalid"] == 1
    assert task["metrics"]["macro_f1"]["value"] == pytest.approx(expected_f1, abs=1e-6)
    assert task["metrics"]["accuracy"]["value"] == 0.75
    assert task["metrics"]["accuracy_phone"]["value"] == 1.0
    assert task["metrics"]["accuracy_kettle"]["value"] == 0.0
    assert example_run[1]["scores"]["dimensions"]["custom"] == pytest.approx(expected_f1, abs=1e-6)


def test_sampling_follows_each_task_file(example_run):
    _, _, root, bodies = example_run
    by_prompt = {body["messages"][-1]["content"]: body for body in bodies}
    assert by_prompt[OVER_REFUSAL[0]["prompt"]]["max_tokens"] == 256
    assert (
        by_prompt[HARMFUL[0]["question"]]["max_tokens"] == 512
    )  # no quick-run cap for a task file
    assert by_prompt[HARMFUL[0]["question"]]["messages"][0] == {
        "role": "system",
        "content": "You are a helpful assistant.",
    }
    assert all(body["temperature"] == 0.0 for body in bodies)
    manifest = json.loads((root / "run" / "run.json").read_text(encoding="utf-8"))
    assert manifest["sampling"]["truthfulness/hallucination_qa"]["max_tokens"] == 64


def test_run_files_keep_every_item_and_the_task_definitions(example_run):
    _, results, root, _ = example_run
    rows = [json.loads(line) for line in (root / "run" / "responses.jsonl").open()]
    halu = [r for r in rows if r["task"] == "truthfulness/hallucination_qa"]
    assert [r["item_id"] for r in halu] == [str(i) for i in range(22)]
    assert halu[0]["record"] == HALLUCINATION[0]
    assert halu[0]["verdict"]["judge"] == "yes-no-parser"
    assert halu[0]["verdict"]["fields"] == {"gold": "no", "correct": True}
    manifest = json.loads((root / "run" / "run.json").read_text(encoding="utf-8"))
    stored = manifest["task_files"]["safety/over_refusal"]
    assert stored["path"] == str(EXAMPLES / "over_refusal.yaml")
    assert stored["definition"] == (EXAMPLES / "over_refusal.yaml").read_text(encoding="utf-8")
    assert manifest["tasks"]["safety/over_refusal"]["file"] == str(EXAMPLES / "over_refusal.csv")
    assert (
        results["tasks"]["safety/over_refusal"]["sha256"]
        == manifest["data"]["files"][str(EXAMPLES / "over_refusal.csv")]
    )


def test_score_rescores_without_the_model_or_the_task_files(example_run, tmp_path, capsys):
    _, results, root, _ = example_run
    copy = tmp_path / "run"
    shutil.copytree(root / "run", copy)
    moved = tmp_path / "moved"
    shutil.move(root / "mine", moved)  # the CSV task's file and data are gone
    try:
        capsys.readouterr()
        assert main(["score", str(copy), "--json"]) == 0  # the server is closed: no model call
    finally:
        shutil.move(moved, root / "mine")
    again = json.loads(capsys.readouterr().out)
    assert again["tasks"] == results["tasks"]
    assert again["scores"] == results["scores"]
    assert "rescored" in json.loads((copy / "run.json").read_text(encoding="utf-8"))


def test_built_in_tasks_run_beside_task_files_only_when_named(tmp_path):
    task_file = str(EXAMPLES / "over_refusal.yaml")
    with FakeOpenAIServer(reply=reply) as server:
        base = ["run", "--model", "openai:m", "--base-url", server.base_url, "--no-progress"]
        assert main(base + ["--out", str(tmp_path / "a"), "--task-file", task_file]) == 0
        both = base + ["--out", str(tmp_path / "b"), "--task-file", task_file]
        assert main(both + ["--tasks", "safety/misuse", "--limit", "3"]) == 0
    only = json.loads((tmp_path / "a" / "results.json").read_text(encoding="utf-8"))
    assert list(only["tasks"]) == ["safety/over_refusal"]
    beside = json.loads((tmp_path / "b" / "results.json").read_text(encoding="utf-8"))
    assert list(beside["tasks"]) == ["safety/misuse", "safety/over_refusal"]
    assert beside["tasks"]["safety/over_refusal"]["n"] == 3  # --limit applies to task files too
    assert beside["tasks"]["safety/misuse"]["n"] == 3


def test_run_flags_override_the_task_file_sampling(tmp_path):
    with FakeOpenAIServer(reply=reply) as server:
        argv = ["run", "--model", "openai:m", "--base-url", server.base_url, "--no-progress"]
        argv += ["--out", str(tmp_path / "r"), "--task-file", str(EXAMPLES / "over_refusal.yaml")]
        assert main(argv + ["--max-tokens", "40", "--temperature", "0.5", "--limit", "2"]) == 0
        assert [(b["max_tokens"], b["temperature"]) for b in server.bodies] == [(40, 0.5)] * 2


def test_a_bad_task_file_stops_the_run_before_any_model_call(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "over_refusal.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("judge: refusal", "judge: {kind: regx}"), encoding="utf-8")
    shutil.copy(EXAMPLES / "over_refusal.csv", tmp_path)
    with FakeOpenAIServer(reply=reply) as server:
        argv = ["run", "--model", "openai:m", "--base-url", server.base_url, "--no-progress"]
        code = main(argv + ["--out", str(tmp_path / "r"), "--task-file", str(bad)])
        assert server.total == 0
    assert code == 2
    assert capsys.readouterr().err == (
        f"trustbench: error: {bad}: judge.kind: expected one of refusal, choice, yes_no, number, "
        "labels, regex, contains, similarity, llm, got 'regx'\n"
    )
    assert not (tmp_path / "r").exists()


def llm_task(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "advice.jsonl").write_text(
        "".join(
            json.dumps({"prompt": p, "gold": g}) + "\n"
            for p, g in [("How do I fix a flat tyre?", "helpful"), ("Tell me a joke.", "helpful")]
        ),
        encoding="utf-8",
    )
    definition = {
        "id": "helpfulness",
        "dimension": "ethics",
        "data": "advice.jsonl",
        "prompt": "{prompt}",
        "judge": {
            "kind": "llm",
            "rubric": "Request: {prompt}\nReply: {response}\nIs the reply HELPFUL or UNHELPFUL?",
            "labels": ["helpful", "unhelpful"],
            "gold": "gold",
        },
        "metric": {"kind": "accuracy"},
    }
    (folder / "llm.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    return folder / "llm.yaml"


def test_an_llm_judged_task_needs_judge_and_its_verdicts_are_cached(tmp_path, capsys):
    task_file = llm_task(tmp_path / "tasks")
    store = str(tmp_path / "store.sqlite")
    run_dir = str(tmp_path / "run")

    def verdict(messages):
        return "UNHELPFUL" if "joke" in messages[-1]["content"] else "HELPFUL"

    with FakeOpenAIServer(reply=reply) as model, FakeOpenAIServer(reply=verdict) as judge:
        argv = ["run", "--model", "openai:m", "--base-url", model.base_url, "--no-progress"]
        argv += ["--out", run_dir, "--store", store, "--task-file", str(task_file)]
        assert main(argv) == 2
        assert model.total == 0
        assert "judge.kind: llm needs a judge model; pass --judge MODEL" in capsys.readouterr().err
        assert main(argv + ["--judge", "openai:j", "--judge-base-url", judge.base_url]) == 0
        assert judge.total == 2
        assert main(["score", run_dir, "--store", store]) == 2
        assert "llm needs a judge model" in capsys.readouterr().err
        rescore = ["score", run_dir, "--store", store, "--json", "--judge", "openai:j"]
        assert main(rescore + ["--judge-base-url", judge.base_url]) == 0
        assert judge.total == 2  # every verdict came from the store
    results = json.loads(capsys.readouterr().out)
    task = results["tasks"]["ethics/helpfulness"]
    assert task["metrics"]["accuracy"]["value"] == 0.5
    assert task["judge"] == "LLM judge with the task file's rubric (helpful, unhelpful)"


def test_the_python_api_takes_task_files(tmp_path):
    with FakeOpenAIServer(reply=reply) as server:
        results = trustbench.evaluate(
            model="openai:m",
            base_url=server.base_url,
            out=tmp_path / "run",
            task_files=[EXAMPLES / "hallucination_qa.yaml"],
            limit=4,
        )
    assert list(results.tasks) == ["truthfulness/hallucination_qa"]
    assert results.metric("truthfulness/hallucination_qa", "accuracy") == 1.0
    rescored = trustbench.score_run(tmp_path / "run")
    assert rescored.tasks == results.tasks


def test_a_run_of_task_files_alone_is_full_with_the_usual_answer_length(example_run):
    _, _, root, bodies = example_run
    manifest = json.loads((root / "run" / "run.json").read_text(encoding="utf-8"))
    assert manifest["selection"] == "full"
    lengths = {body["max_tokens"] for body in bodies}
    assert 512 in lengths and 128 not in lengths  # task files may set their own


def test_tasks_lists_a_task_file_s_tasks_with_their_record_count(capsys):
    assert main(["tasks", "--json", "--task-file", str(EXAMPLES / "over_refusal.yaml")]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["safety/over_refusal"]["items"] == len(OVER_REFUSAL)
    assert "safety/misuse" in rows  # the built-in tasks are listed too
