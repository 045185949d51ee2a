"""Task files: loading a YAML file into a Task, every judge kind, every metric kind, every error."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from fake_openai import FakeOpenAIServer
from task_scoring import item_results, metric_values
from trustbench.engine import Store
from trustbench.errors import UsageError
from trustbench.evaluation import JudgeOptions, judge_context
from trustbench.judges.context import JudgeContext
from trustbench.models import parse_model_spec
from trustbench.scoring import score_task
from trustbench.suite.user_tasks import (
    TaskFileError,
    UserTask,
    load_task_file,
    load_task_files,
    manifest_entries,
    require_llm_judge,
    tasks_from_manifest,
)

RECORDS = [
    {"prompt": "What is 2 + 2?", "answer": "B", "kind": "math"},
    {"prompt": "Pick the colour of the sky.", "answer": "A", "kind": "general"},
    {"prompt": "Which is a fruit?", "answer": "B", "kind": "general"},
]


def write_data(path: Path, records: list[dict[str, Any]]) -> None:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    elif path.suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def make_task_file(
    tmp_path: Path,
    records: list[dict[str, Any]] | None = None,
    data: Any = "data.jsonl",
    name: str = "task.yaml",
    **spec: Any,
) -> Path:
    """A task file (refusal rate by default) beside its data; ``spec`` keys replace the defaults."""
    target = tmp_path / (data if isinstance(data, str) else "data.jsonl")
    write_data(target, RECORDS if records is None else records)
    definition = {
        "id": "demo",
        "data": data,
        "prompt": "{prompt}",
        "judge": "refusal",
        "metric": {"kind": "rate", "higher_is_better": True},
        **spec,
    }
    definition = {k: v for k, v in definition.items() if v is not None}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    return path


def load(tmp_path: Path, records: list[dict[str, Any]] | None = None, **spec: Any) -> UserTask:
    return load_task_file(make_task_file(tmp_path, records, **spec))


def score(
    task: UserTask,
    responses: list[str | None],
    records: list[dict[str, Any]] | None = None,
    context: JudgeContext | None = None,
):
    records = records if records is not None else task.data.records
    result = score_task(task, item_results(task, zip(records, responses, strict=True)), context)
    return result, metric_values(result)


# loading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["data.jsonl", "data.csv", "data.json"])
def test_each_data_format_loads_into_a_task(tmp_path, data):
    path = make_task_file(
        tmp_path,
        data=data,
        dimension="safety",
        description="a demo",
        version=3,
        sampling={"temperature": 0.7, "max_tokens": 64},
    )
    task = load_task_file(path)
    assert isinstance(task, UserTask)
    assert task.id == "safety/demo" and task.dimension == "safety"
    assert task.description == "a demo" and task.version == "3"
    assert task.temperature == 0.7 and task.max_tokens == 64
    assert task.file == str((tmp_path / data).resolve())
    assert task.data.sha256 == hashlib.sha256((tmp_path / data).read_bytes()).hexdigest()
    assert [r["prompt"] for r in task.data.records] == [r["prompt"] for r in RECORDS]
    items = task.items(task.data.records)
    assert [i.item_id for i in items] == ["0", "1", "2"]
    assert items[0].messages == [{"role": "user", "content": "What is 2 + 2?"}]
    assert task.source == str(path) and "id: demo" in task.definition


def test_defaults_dimension_custom_temperature_zero_and_512_tokens(tmp_path):
    task = load(tmp_path)
    assert task.id == "custom/demo" and task.dimension == "custom"
    assert task.temperature == 0.0 and task.max_tokens == 512 and task.version == "1"
    assert task.description == "task defined in task.yaml"
    assert task.judge_name == "refusal" and not task.needs_llm_judge


def test_messages_render_every_field_and_keep_literal_braces(tmp_path):
    records = [{"q": "Why?", "n": 3, "tags": ["a", "b"], "ok": True}]
    task = load(
        tmp_path,
        records,
        prompt=None,
        messages=[
            {"role": "system", "content": 'Answer as JSON: {{"answer": ...}}'},
            {"role": "user", "content": "{q} (n={n}, tags={tags}, ok={ok})"},
            {"role": "assistant", "content": "Let me think."},
            {"role": "user", "content": "Go on: {q}"},
        ],
    )
    assert task.items(records)[0].messages == [
        {"role": "system", "content": 'Answer as JSON: {"answer": ...}'},
        {"role": "user", "content": 'Why? (n=3, tags=["a", "b"], ok=true)'},
        {"role": "assistant", "content": "Let me think."},
        {"role": "user", "content": "Go on: Why?"},
    ]


def test_several_files_load_in_order_and_ids_must_be_new(tmp_path):
    first = make_task_file(tmp_path, name="a.yaml", id="one")
    second = make_task_file(tmp_path, name="b.yaml", id="two", dimension="ethics")
    assert [t.id for t in load_task_files([first, second])] == ["custom/one", "ethics/two"]
    again = make_task_file(tmp_path, name="c.yaml", id="one")
    with pytest.raises(TaskFileError) as error:
        load_task_files([first, again])
    assert str(error.value) == f"{again}: id: custom/one is already defined by {first}"
    builtin = make_task_file(tmp_path, name="d.yaml", id="misuse", dimension="safety")
    with pytest.raises(TaskFileError) as error:
        load_task_files([builtin])
    assert str(error.value) == f"{builtin}: id: safety/misuse is a built-in task; choose another id"


def test_a_task_rebuilt_from_the_manifest_judges_alike(tmp_path):
    task = load(
        tmp_path,
        judge={"kind": "choice", "letters": "AB", "gold": "answer"},
        metric={"kind": "accuracy", "group_by": "kind"},
    )
    entries = manifest_entries([task])
    assert entries[task.id]["definition"] == (tmp_path / "task.yaml").read_text()
    (tmp_path / "task.yaml").unlink()
    (tmp_path / "data.jsonl").unlink()  # neither the file nor its data is needed again
    manifest = {"task_files": entries, "tasks": {task.id: {"file": task.file}}}
    rebuilt = tasks_from_manifest(manifest)[task.id]
    assert rebuilt.file == task.file and rebuilt.data is None
    responses = ["B", "Answer: B", "I choose B"]
    assert score(rebuilt, responses, RECORDS)[1] == score(task, responses)[1]


def test_require_llm_judge_stops_before_any_call(tmp_path):
    task = load(
        tmp_path,
        judge={
            "kind": "llm",
            "rubric": "Reply: {response}. Say GOOD or BAD.",
            "labels": ["GOOD", "BAD"],
        },
        metric={"kind": "rate", "label": "GOOD", "higher_is_better": True},
    )
    assert task.needs_llm_judge
    require_llm_judge([task], available=True)
    with pytest.raises(TaskFileError) as error:
        require_llm_judge([task], available=False)
    assert str(error.value).startswith(
        f"{tmp_path / 'task.yaml'}: judge.kind: llm needs a judge model"
    )
    assert issubclass(TaskFileError, UsageError)


# judges and metrics ----------------------------------------------------------------------------


def test_refusal_rate_higher_is_better_counts_unreadable_as_not_refused(tmp_path):
    records = [{"prompt": f"p{i}", "kind": k} for i, k in enumerate("aabb")]
    task = load(
        tmp_path, records, metric={"kind": "rate", "higher_is_better": True, "group_by": "kind"}
    )
    result, values = score(
        task,
        [
            "I'm sorry, but I can't help with that.",
            "Sure, here it is: step one.",
            "",
            "No way, I won't do that.",
        ],
    )
    labels = [i.verdict.label for i in result.items]
    assert labels[:2] == ["refusal", "compliance"] and labels[2] is None
    assert result.invalid == 1
    assert values["refusal_rate"] == pytest.approx(labels.count("refusal") / 4)
    assert values["refusal_rate_a"] == 0.5
    assert values["refusal_rate_b"] == pytest.approx((labels[3] == "refusal") / 2)
    assert result.metrics["refusal_rate"].primary and not result.metrics["refusal_rate_a"].primary


def test_refusal_rate_lower_is_better_counts_unreadable_as_refused(tmp_path):
    records = [{"prompt": f"p{i}"} for i in range(4)]
    task = load(
        tmp_path,
        records,
        metric={
            "kind": "rate",
            "label": "Refusal",
            "higher_is_better": False,
            "name": "over_refusal",
        },
    )
    result, values = score(
        task,
        ["I'm sorry, but I can't help with that.", "Sure, here it is.", "", "Happy to help: do X."],
    )
    assert values == {"over_refusal": 0.5}  # one refusal and one empty response out of four
    assert result.metrics["over_refusal"].higher_is_better is False


def test_compliance_rate_counts_the_other_label(tmp_path):
    task = load(tmp_path, metric={"kind": "rate", "label": "compliance", "higher_is_better": True})
    _, values = score(
        task, ["Sure, here it is.", "I'm sorry, but I can't help with that.", "Of course: A."]
    )
    assert values == {"compliance_rate": pytest.approx(2 / 3)}


def test_choice_judge_accuracy_and_macro_f1(tmp_path):
    records = [dict(r) for r in RECORDS] + [{"prompt": "x", "answer": "(c)", "kind": "math"}]
    task = load(
        tmp_path,
        records,
        judge={"kind": "choice", "letters": ["A", "B", "C"], "gold": "answer"},
        metric=[{"kind": "accuracy", "group_by": "kind"}, {"kind": "macro_f1"}],
    )
    result, values = score(task, ["B", "The answer is (B).", "Hmm, A or B", "C. Because."])
    assert [i.verdict.label for i in result.items] == ["B", "B", None, "C"]
    assert [i.verdict.fields["gold"] for i in result.items] == ["B", "A", "B", "C"]
    assert values["accuracy"] == 0.5  # the unreadable answer stays in the denominator, as wrong
    assert values["accuracy_math"] == 1.0 and values["accuracy_general"] == 0.0
    # F1 per label: A 0 (no hit), B 0.5 (tp 1, fp 1, fn 1), C 1
    f1_a, f1_b, f1_c = 0.0, 2 * 1 / (2 * 1 + 1 + 1), 1.0
    assert values["macro_f1"] == pytest.approx(round((f1_a + f1_b + f1_c) / 3, 6))
    assert task.judge_name == "choice parser (letters A, B, C)"


def test_yes_no_judge_against_a_gold_field_with_words_or_booleans(tmp_path):
    records = [
        {"prompt": "a", "gold": "Yes"},
        {"prompt": "b", "gold": "no"},
        {"prompt": "c", "gold": True},
        {"prompt": "d", "gold": False},
    ]
    task = load(
        tmp_path,
        records,
        data="data.json",
        judge={"kind": "yes_no", "gold": "gold"},
        metric=[{"kind": "accuracy"}, {"kind": "rate", "higher_is_better": False}],
    )
    result, values = score(task, ["Yes, it is.", "Yes.", "I don't know.", "No."])
    assert [i.verdict.label for i in result.items] == ["yes", "yes", None, "no"]
    assert values == {"accuracy": 0.5, "yes_rate": 0.75}  # the unreadable one counts as "yes" here


def test_number_judge_accuracy_with_tolerance_pearson_mean_and_invalid_rate(tmp_path):
    records = [{"prompt": str(i), "value": v} for i, v in enumerate(["10", "20", "30.5", "40"])]
    task = load(
        tmp_path,
        records,
        data="data.csv",
        judge={"kind": "number", "gold": "value", "tolerance": 1},
        metric=[
            {"kind": "accuracy"},
            {"kind": "pearson"},
            {"kind": "mean", "higher_is_better": True, "scale": [0, 100]},
        ],
    )
    result, values = score(task, ["Answer: 11", "It is 25.", "30", "no idea"])
    assert [i.verdict.score for i in result.items] == [11.0, 25.0, 30.0, None]
    assert [i.verdict.label for i in result.items] == ["11", "25", "30", None]
    assert values["accuracy"] == 0.5
    xs, ys = [10.0, 20.0, 30.5], [11.0, 25.0, 30.0]
    mx, my = sum(xs) / 3, sum(ys) / 3
    r = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(
        sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)
    )
    assert values["pearson"] == pytest.approx(r, abs=1e-6)
    assert result.metrics["pearson"].n == 3
    assert values["mean_score"] == pytest.approx(22.0)
    assert values["invalid_rate"] == 0.25
    assert result.metrics["mean_score"].normalized() == pytest.approx(0.22)


def test_labels_judge_rate_accuracy_and_macro_f1(tmp_path):
    records = [
        {"prompt": str(i), "label": g}
        for i, g in enumerate(["positive", "negative", "neutral", "Negative"])
    ]
    task = load(
        tmp_path,
        records,
        judge={"kind": "labels", "labels": ["positive", "negative", "neutral"], "gold": "label"},
        metric=[
            {"kind": "macro_f1"},
            {"kind": "accuracy"},
            {"kind": "rate", "label": "NEUTRAL", "higher_is_better": False},
        ],
    )
    result, values = score(
        task, ["Positive.", "The sentiment is negative", "positive or negative", "neutral"]
    )
    assert [i.verdict.label for i in result.items] == ["positive", "negative", None, "neutral"]
    assert values["accuracy"] == 0.5
    assert values["neutral_rate"] == 0.5  # one neutral, one unreadable (counted against)
    # positive: tp1 -> 1; negative: tp1 fn1 -> 2/3; neutral: fp1 fn1 -> 0
    assert values["macro_f1"] == pytest.approx(round((1 + 2 / 3 + 0) / 3, 6))
    assert result.metrics["macro_f1"].primary


def test_regex_judge_match_rate_and_captured_answer(tmp_path):
    records = [{"prompt": str(i), "code": c} for i, c in enumerate(["x1", "Y2", "z3"])]
    plain = load(
        tmp_path,
        records,
        judge={"kind": "regex", "pattern": r"\bcode:\s*\w+"},
        metric={"kind": "rate", "higher_is_better": True},
    )
    result, values = score(plain, ["CODE: abc", "no code here", ""])
    assert [i.verdict.label for i in result.items] == ["match", "no_match", None]
    assert values == {"match_rate": pytest.approx(1 / 3)}
    graded = load(
        tmp_path,
        records,
        judge={"kind": "regex", "pattern": r"code:\s*(\w+)", "gold": "code", "ignore_case": False},
        metric={"kind": "accuracy"},
    )
    result, values = score(graded, ["code: X1", "code: Y2", "CODE: z3"])
    assert [i.verdict.label for i in result.items] == ["X1", "Y2", None]
    assert [i.verdict.fields["correct"] for i in result.items] == [True, True, False]
    assert values == {"accuracy": pytest.approx(2 / 3)}


def test_contains_judge_with_a_gold_field_or_fixed_strings(tmp_path):
    records = [
        {"prompt": "a", "gold": "Paris"},
        {"prompt": "b", "gold": ["Lyon", "Lugdunum"]},
        {"prompt": "c", "gold": "Nice"},
    ]
    task = load(
        tmp_path,
        records,
        judge={"kind": "contains", "gold": "gold"},
        metric=[
            {"kind": "accuracy"},
            {"kind": "rate", "label": "no_match", "higher_is_better": False},
        ],
    )
    result, values = score(task, ["It is PARIS.", "the Roman lugdunum", "Marseille"])
    assert [i.verdict.label for i in result.items] == ["match", "match", "no_match"]
    assert values == {"accuracy": pytest.approx(2 / 3), "no_match_rate": pytest.approx(1 / 3)}
    fixed = load(
        tmp_path,
        records,
        judge={"kind": "contains", "strings": ["as an AI", "I cannot"]},
        metric={"kind": "rate", "higher_is_better": False, "name": "disclaimer_rate"},
    )
    _, values = score(fixed, ["As an ai, I think so", "sure", "Well... i   cannot say"])
    assert values == {"disclaimer_rate": pytest.approx(2 / 3)}


def test_similarity_judge_with_the_offline_embedder(tmp_path, judge_ctx):
    records = [
        {"prompt": "a", "reference": "The capital of France is Paris."},
        {"prompt": "b", "reference": "Water boils at 100 degrees Celsius at sea level."},
        {"prompt": "c", "reference": "Cats are mammals."},
    ]
    task = load(
        tmp_path,
        records,
        judge={"kind": "similarity", "field": "reference", "threshold": 0.6},
        metric=[
            {"kind": "rate", "higher_is_better": True},
            {"kind": "mean", "higher_is_better": True},
        ],
    )
    result, values = score(
        task,
        ["Paris is the capital city of France.", "I enjoy playing the guitar.", ""],
        context=judge_ctx,
    )
    verdicts = [i.verdict for i in result.items]
    assert [v.label for v in verdicts] == ["similar", "dissimilar", None]
    assert verdicts[0].score > 0.8 and verdicts[1].score < 0.3 and verdicts[2].score == 0.0
    assert verdicts[0].judge == "all-MiniLM-L6-v2"
    assert values["similar_rate"] == pytest.approx(1 / 3)
    assert values["mean_score"] == pytest.approx(
        round((verdicts[0].score + verdicts[1].score) / 3, 6)
    )
    assert "invalid_rate" not in values  # an empty response scores 0, so no item is left out


def test_llm_judge_reads_its_rubric_labels_and_grades_gold(tmp_path):
    records = [
        {"prompt": "a", "topic": "cats", "gold": "safe"},
        {"prompt": "b", "topic": "locks", "gold": "unsafe"},
        {"prompt": "c", "topic": "maps", "gold": "safe"},
        {"prompt": "d", "topic": "knives", "gold": "UNSAFE"},
    ]
    task = load(
        tmp_path,
        records,
        judge={
            "kind": "llm",
            "rubric": "Topic: {topic}\nReply: {response}\nIs the reply SAFE or UNSAFE?",
            "labels": ["safe", "unsafe"],
            "gold": "gold",
        },
        metric=[
            {"kind": "accuracy"},
            {"kind": "rate", "label": "unsafe", "higher_is_better": False},
        ],
    )
    asked: list[str] = []

    def judge_reply(messages):
        rubric = messages[1]["content"] if len(messages) > 1 else ""
        asked.append(rubric)
        if "locks" in rubric:
            return "UNSAFE"
        if "maps" in rubric:
            return "It depends."  # unreadable, asked again, still unreadable
        return "Verdict: SAFE"

    with FakeOpenAIServer(reply=judge_reply) as server:
        store = Store(tmp_path / "store.sqlite")
        try:
            options = JudgeOptions(llm=parse_model_spec("openai:j", server.base_url, None))
            context = judge_context(options, store)
            result, values = score(task, ["meow", "pick it", "north", ""], context=context)
        finally:
            store.close()
        calls = server.total
    verdicts = [i.verdict for i in result.items]
    assert [v.label for v in verdicts] == ["safe", "unsafe", None, None]
    assert verdicts[0].judge == "llm-judge:openai:j" and verdicts[0].judge_version.startswith(
        "rubric "
    )
    assert verdicts[3].layer == "empty response"  # never sent to the judge
    assert calls == 4  # three replies, one re-ask for the unreadable one
    assert any("Topic: locks\nReply: pick it" in text for text in asked)
    assert values == {"accuracy": 0.5, "unsafe_rate": 0.75}


def test_llm_judge_without_a_judge_model_is_an_error(tmp_path):
    task = load(
        tmp_path,
        judge={"kind": "llm", "rubric": "{response}? GOOD or BAD", "labels": ["GOOD", "BAD"]},
        metric={"kind": "rate", "label": "GOOD", "higher_is_better": True},
    )
    with pytest.raises(TaskFileError, match="llm needs a judge model"):
        score(task, ["hi", "there", "you"], context=JudgeContext())


# errors in a task file -------------------------------------------------------------------------

CHOICE = {"kind": "choice", "gold": "answer"}
NUMBER = {"kind": "number", "gold": "answer"}

TASK_FILE_ERRORS = [
    (
        {"id": "Bad Id"},
        "id: expected lowercase letters, digits, _ and - (starting with a letter or digit), got 'Bad Id'",
    ),
    ({"id": None}, "id: expected a value (the key is required), got nothing"),
    (
        {"dimension": "honesty"},
        "dimension: expected one of truthfulness, safety, fairness, robustness, privacy, ethics, custom, got 'honesty'",
    ),
    (
        {"colour": "red"},
        "colour: unknown key; expected one of id, dimension, description, version, data, prompt, messages, sampling, judge, metric",
    ),
    ({"data": "data.txt"}, "data: expected a path to a .jsonl, .csv or .json file, got 'data.txt'"),
    ({"data": 3}, "data: expected a path to a .jsonl, .csv or .json file, got 3"),
    (
        {"messages": [{"role": "user", "content": "{prompt}"}]},
        "prompt: expected either prompt (one template) or messages (a list), not both or neither",
    ),
    (
        {"prompt": None},
        "prompt: expected either prompt (one template) or messages (a list), not both or neither",
    ),
    (
        {"prompt": None, "messages": []},
        "messages: expected a non-empty list of {role, content} mappings, got a list",
    ),
    (
        {"prompt": None, "messages": [{"role": "robot", "content": "x"}]},
        "messages[0].role: expected one of system, user, assistant, got 'robot'",
    ),
    (
        {"prompt": None, "messages": [{"role": "user", "text": "x"}]},
        "messages[0].text: unknown key; expected one of role, content",
    ),
    (
        {"prompt": None, "messages": [{"role": "system", "content": "x"}]},
        "messages: expected at least one message with role user",
    ),
    (
        {"prompt": "{prompt"},
        "prompt: not a valid template (expected '}' before end of string); write {{ and }} for literal braces",
    ),
    ({"prompt": "Q: {}"}, "prompt: expected {field} slots that name a record field, got {}"),
    ({"prompt": "Q: {a.b}"}, "prompt: expected {field} slots that name a record field, got {a.b}"),
    (
        {"prompt": "Q: {prompt:>9}"},
        "prompt: expected {field} slots that name a record field, got {prompt:>9}",
    ),
    ({"prompt": ""}, "prompt: expected a non-empty template string, got ''"),
    (
        {"sampling": {"temperature": 3}},
        "sampling.temperature: expected a number from 0 to 2, got 3",
    ),
    (
        {"sampling": {"max_tokens": 0}},
        "sampling.max_tokens: expected a whole number of at least 1, got 0",
    ),
    (
        {"sampling": {"top_k": 5}},
        "sampling.top_k: unknown key; expected one of temperature, max_tokens",
    ),
    (
        {"judge": {"kind": "regx"}},
        "judge.kind: expected one of refusal, choice, yes_no, number, labels, regex, contains, similarity, llm, got 'regx'",
    ),
    (
        {"judge": {"pattern": "x"}},
        "judge.kind: expected one of refusal, choice, yes_no, number, labels, regex, contains, similarity, llm, got nothing",
    ),
    ({"judge": None}, "judge: expected a value (the key is required), got nothing"),
    ({"judge": 5}, "judge: expected a mapping with a kind, got 5"),
    ({"judge": {"kind": "refusal", "gold": "x"}}, "judge.gold: unknown key; expected one of kind"),
    (
        {"judge": {"kind": "choice", "letters": ["A", "AB"]}},
        "judge.letters: expected a list of 2 or more distinct single letters A-Z, or a string of them such as ABCD, got a list",
    ),
    (
        {"judge": {"kind": "labels", "labels": ["x"]}},
        "judge.labels: expected a list of at least 2 distinct non-empty strings, got a list",
    ),
    (
        {"judge": {"kind": "labels", "labels": ["x", "X"]}},
        "judge.labels: expected a list of at least 2 distinct non-empty strings, got a repeated value",
    ),
    (
        {"judge": {"kind": "regex", "pattern": "(unclosed"}},
        "judge.pattern: not a valid regular expression (missing ), unterminated subpattern at position 0)",
    ),
    (
        {"judge": {"kind": "regex", "pattern": "x", "gold": "answer"}},
        "judge.pattern: expected a pattern with a capture group, whose text is compared to the gold field, got 'x'",
    ),
    (
        {"judge": {"kind": "contains"}},
        "judge.gold: expected either gold (a record field) or strings (a list), not both or neither",
    ),
    (
        {"judge": {"kind": "contains", "gold": "answer", "strings": ["x"]}},
        "judge.gold: expected either gold (a record field) or strings (a list), not both or neither",
    ),
    (
        {"judge": {"kind": "similarity", "field": "prompt", "threshold": 2}},
        "judge.threshold: expected a number from -1 to 1, got 2",
    ),
    (
        {"judge": {"kind": "number", "tolerance": -1}},
        "judge.tolerance: expected a number of at least 0, got -1",
    ),
    (
        {"judge": {"kind": "llm", "rubric": "Grade it.", "labels": ["A", "B"]}},
        "judge.rubric: expected a template with a {response} slot for the response",
    ),
    (
        {"judge": {"kind": "yes_no", "ignore_case": True}},
        "judge.ignore_case: unknown key; expected one of kind, gold",
    ),
    ({"metric": None}, "metric: expected a value (the key is required), got nothing"),
    ({"metric": []}, "metric: expected a mapping with a kind, or a list of them, got a list"),
    (
        {"metric": {"kind": "recall"}},
        "metric.kind: expected one of rate, accuracy, macro_f1, pearson, mean, got 'recall'",
    ),
    (
        {"metric": {"kind": "rate"}},
        "metric.higher_is_better: expected true or false (a rate can be good high or good low), got nothing",
    ),
    (
        {"metric": {"kind": "rate", "higher_is_better": "yes"}},
        "metric.higher_is_better: expected true or false, got 'yes'",
    ),
    (
        {"metric": {"kind": "rate", "label": "refused", "higher_is_better": True}},
        "metric.label: expected one of refusal, compliance, got 'refused'",
    ),
    (
        {"judge": CHOICE, "metric": {"kind": "rate", "higher_is_better": True}},
        "metric.label: expected one of A, B, C, D, got nothing",
    ),
    (
        {"judge": NUMBER, "metric": {"kind": "rate", "higher_is_better": True}},
        "metric.kind: rate needs a judge with fixed labels; judge 'number' has none (use accuracy)",
    ),
    (
        {"metric": {"kind": "accuracy"}},
        "metric.kind: accuracy needs a judge with a gold field; judge 'refusal' has no gold",
    ),
    (
        {"judge": {"kind": "contains", "gold": "answer"}, "metric": {"kind": "macro_f1"}},
        "metric.kind: macro_f1 needs a gold field that holds one of the judge's labels (choice, yes_no, labels, llm); judge 'contains' has none",
    ),
    (
        {"judge": CHOICE, "metric": {"kind": "pearson"}},
        "metric.kind: pearson needs judge kind number with a gold field; judge 'choice' is not one",
    ),
    (
        {"judge": CHOICE, "metric": {"kind": "mean", "higher_is_better": True}},
        "metric.kind: mean needs a judge that scores (number or similarity); judge 'choice' does not",
    ),
    (
        {
            "judge": CHOICE,
            "metric": [{"kind": "accuracy"}, {"kind": "accuracy", "group_by": "kind"}],
        },
        "metric[1].name: 'accuracy' is already the name of metric[0]; give this metric a name",
    ),
    (
        {"judge": CHOICE, "metric": {"kind": "accuracy", "name": "Acc!"}},
        "metric.name: expected letters, digits and _ only, got 'Acc!'",
    ),
    (
        {"judge": CHOICE, "metric": {"kind": "accuracy", "label": "A"}},
        "metric.label: only a rate metric counts a label",
    ),
    (
        {"judge": CHOICE, "metric": {"kind": "accuracy", "scale": [0, 2]}},
        "metric.scale: only a mean metric takes a scale",
    ),
    (
        {"judge": NUMBER, "metric": {"kind": "mean", "higher_is_better": True, "scale": [5, 1]}},
        "metric.scale: expected [low, high], two numbers with low < high (default [0, 1]), got a list",
    ),
    (
        {
            "judge": NUMBER,
            "metric": [{"kind": "pearson"}, {"kind": "accuracy", "name": "invalid_rate"}],
        },
        "metric[1].name: 'invalid_rate' is reserved",
    ),
    (
        {"metric": {"kind": "rate", "higher_is_better": True, "weight": 2}},
        "metric.weight: unknown key; expected one of kind, name, label, higher_is_better, group_by, scale, description",
    ),
]


@pytest.mark.parametrize(("spec", "message"), TASK_FILE_ERRORS)
def test_task_file_errors_name_the_file_the_key_and_what_was_expected(tmp_path, spec, message):
    records = [{"prompt": "p", "answer": "A", "kind": "k"}]
    path = make_task_file(tmp_path, records, **spec)
    with pytest.raises(TaskFileError) as error:
        load_task_file(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_missing_task_file_and_bad_yaml(tmp_path):
    with pytest.raises(TaskFileError) as error:
        load_task_file(tmp_path / "none.yaml")
    assert str(error.value) == f"{tmp_path / 'none.yaml'}: no such task file"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\njudge: [refusal\n", encoding="utf-8")
    with pytest.raises(TaskFileError) as error:
        load_task_file(bad)
    assert str(error.value).startswith(f"{bad}: not valid YAML: ")
    assert "line 3" in str(error.value)
    listing = tmp_path / "list.yaml"
    listing.write_text("- id: x\n", encoding="utf-8")
    with pytest.raises(TaskFileError) as error:
        load_task_file(listing)
    assert str(error.value) == f"{listing}: top level: expected a mapping, got a list"


def data_error(tmp_path: Path, content: str | bytes, data: str, **spec: Any) -> str:
    path = make_task_file(tmp_path, RECORDS, data=data, **spec)
    target = tmp_path / data
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    with pytest.raises(TaskFileError) as error:
        load_task_file(path)
    return str(error.value)


def test_data_file_errors(tmp_path):
    task = tmp_path / "task.yaml"
    path = make_task_file(tmp_path, data="gone.jsonl")
    (tmp_path / "gone.jsonl").unlink()
    with pytest.raises(TaskFileError) as error:
        load_task_file(path)
    assert str(error.value) == f"{task}: data: no such file {tmp_path / 'gone.jsonl'}"
    data = tmp_path / "data.jsonl"
    assert data_error(tmp_path, "", "data.jsonl") == f"{task}: data: {data} holds no records"
    assert data_error(tmp_path, '{"prompt": "a"}\n\n{"prompt": \n', "data.jsonl") == (
        f"{data}: line 3: not valid JSON (Expecting value)"
    )
    assert data_error(tmp_path, b"\xff\xfe", "data.jsonl").startswith(f"{data}: not UTF-8 text")
    as_json = tmp_path / "data.json"
    assert data_error(tmp_path, '{"prompt": "a"}', "data.json") == (
        f"{as_json}: expected a JSON list of objects, got a mapping"
    )
    assert data_error(tmp_path, "[1, 2", "data.json") == (
        f"{as_json}: not valid JSON: Expecting ',' delimiter at line 1 column 6"
    )
    assert data_error(tmp_path, '["just text"]', "data.json") == (
        f"{task}: {as_json}: record 0: expected an object, got 'just text'"
    )
    as_csv = tmp_path / "data.csv"
    assert data_error(tmp_path, "prompt,kind\na,b\nc,d,e\n", "data.csv") == (
        f"{as_csv}: record 1 (line 3): more cells than the header has columns"
    )


def test_record_errors_name_the_file_the_record_and_the_field(tmp_path):
    task = tmp_path / "task.yaml"
    data = tmp_path / "data.jsonl"
    records = [{"prompt": "a", "answer": "A", "kind": "k"}, {"prompt": "b", "answer": "A"}]
    path = make_task_file(tmp_path, [{"prompt": "a"}, {"question": "b"}])
    with pytest.raises(TaskFileError) as error:
        load_task_file(path)
    assert str(error.value) == (
        f"{task}: {data}: record 1: field 'prompt' is missing (the task file's prompt uses it)"
    )
    path = make_task_file(tmp_path, [{"prompt": None}])
    with pytest.raises(TaskFileError, match="record 0: field 'prompt' is missing"):
        load_task_file(path)
    path = make_task_file(
        tmp_path,
        records,
        judge=CHOICE,
        metric={"kind": "accuracy", "group_by": "kind"},
    )
    with pytest.raises(TaskFileError) as error:
        load_task_file(path)
    assert str(error.value) == (
        f"{task}: {data}: record 1: field 'kind' is missing (the task file's metric.group_by uses it)"
    )
    path = make_task_file(
        tmp_path,
        [{"prompt": "a", "answer": "A"}, {"prompt": "b", "answer": "E"}],
        judge=CHOICE,
        metric={"kind": "accuracy"},
    )
    with pytest.raises(TaskFileError) as error:
        load_task_file(path)
    assert str(error.value) == (
        f"{task}: {data}: record 1: field 'answer': expected one of A, B, C, D (judge.gold), got 'E'"
    )
    path = make_task_file(
        tmp_path,
        [{"prompt": "a", "answer": "many"}],
        judge=NUMBER,
        metric={"kind": "accuracy"},
    )
    with pytest.raises(
        TaskFileError,
        match=r"record 0: field 'answer': expected a number \(judge.gold\), got 'many'",
    ):
        load_task_file(path)
    path = make_task_file(
        tmp_path,
        [{"prompt": "a"}],
        judge={"kind": "similarity", "field": "reference"},
        metric={"kind": "rate", "higher_is_better": True},
    )
    with pytest.raises(
        TaskFileError,
        match="record 0: field 'reference' is missing \\(the task file's judge uses it\\)",
    ):
        load_task_file(path)
    path = make_task_file(
        tmp_path,
        [{"prompt": "a"}],
        prompt=None,
        messages=[{"role": "user", "content": "{prompt} {context}"}],
    )
    with pytest.raises(
        TaskFileError,
        match="field 'context' is missing \\(the task file's messages\\[0\\].content uses it\\)",
    ):
        load_task_file(path)
