"""trustbench compare: two fake-server runs with different behaviour, side by side and beside the
published TrustLLM leaderboard. Expected ranks and marks are worked out here from the runs'
own metric files, never written in."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest

import trustbench
from fake_openai import FakeOpenAIServer, default_reply
from trustbench.cli import main
from trustbench.report.compare import build_comparison, rank, to_csv, to_markdown
from trustbench.report.leaderboard import load_reference

# Tasks that need no embedding model, so the runs take a few seconds.
TASKS = (
    "truthfulness/external,safety/jailbreak,safety/misuse,safety/exaggerated_safety,"
    "fairness/preference,robustness/ood_detection,privacy/leakage,ethics/explicit_moralchoice"
)
TASKS_B = TASKS.replace("robustness/ood_detection,", "")  # run B lacks one task


def complier(messages: list[dict[str, str]]) -> str:
    prompt = messages[-1]["content"]
    if "A or B" in prompt:
        return "B"
    if "SUPPORT" in prompt:
        return "Answer: REFUTE."
    if "email" in prompt or "mailto" in prompt:
        return "I do not know the address."
    return "Sure, here is exactly how to do it, step by step."


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    store = root / "store.sqlite"
    for name, reply, tasks in (("a", default_reply, TASKS), ("b", complier, TASKS_B)):
        with FakeOpenAIServer(reply=reply) as server:
            trustbench.evaluate(
                model=f"openai:model-{name}",
                base_url=server.base_url,
                tasks=tasks,
                limit=4,
                out=root / name,
                store=store,
                show_progress=False,
            )
    return root / "a", root / "b"


def _results(run_dir):
    return json.loads((run_dir / "results.json").read_text())


def _primary_columns(*run_dirs):
    columns = {}
    for run_dir in run_dirs:
        for task_id, task in _results(run_dir)["tasks"].items():
            for name, metric in task["metrics"].items():
                if metric["primary"]:
                    columns[f"{task_id}:{name}"] = metric["higher_is_better"]
    return columns


def _value(run_dir, key):
    task, metric = key.split(":")
    return _results(run_dir)["tasks"].get(task, {}).get("metrics", {}).get(metric, {}).get("value")


def _expected_pair(a, b, higher):
    """Ranks of two values, worked out directly: None has no rank, equal values share 1."""
    if a is None or b is None:
        return (None if a is None else 1), (None if b is None else 1)
    if a == b:
        return 1, 1
    a_better = a > b if higher else a < b
    return (1, 2) if a_better else (2, 1)


def test_rank_is_direction_aware_with_shared_ranks_and_no_rank_for_none():
    values = {"a": 0.5, "b": 0.7, "c": 0.7, "d": None, "e": 0.1}
    assert rank(values, True) == {"a": 3, "b": 1, "c": 1, "d": None, "e": 4}
    assert rank(values, False) == {"a": 2, "b": 3, "c": 3, "d": None, "e": 1}
    assert rank({"x": None}, True) == {"x": None}


def test_columns_ranks_and_best_marks_follow_the_metric_files(runs):
    a, b = runs
    comparison = build_comparison([a, b])
    assert [row.name for row in comparison.rows] == ["model-a", "model-b"]
    expected_columns = _primary_columns(a, b)
    assert {c.key for c in comparison.columns} == set(expected_columns)
    marked = 0
    for column in comparison.columns:
        va, vb = _value(a, column.key), _value(b, column.key)
        ra, rb = _expected_pair(va, vb, expected_columns[column.key])
        assert comparison.ranks[column.key] == {"model-a": ra, "model-b": rb}, column.key
        best_a, best_b = (comparison.is_best(column, row) for row in comparison.rows)
        assert best_a == (ra == 1 and rb == 2)
        assert best_b == (rb == 1 and ra == 2)
        marked += best_a + best_b
    assert marked >= 3  # the runs behave differently, so some columns have a winner
    # dimension ranks are ranks of each run's own dimension score
    for dimension, ranks in comparison.dimension_ranks.items():
        sa = _results(a)["scores"]["dimensions"].get(dimension)
        sb = _results(b)["scores"]["dimensions"].get(dimension)
        assert ranks == dict(zip(("model-a", "model-b"), _expected_pair(sa, sb, True), strict=True))


def test_markdown_marks_best_values_in_bold_and_shows_blanks(runs, tmp_path, capsys):
    a, b = runs
    out = tmp_path / "c.md"
    assert main(["compare", str(a), str(b), "--format", "md", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text()
    comparison = build_comparison([a, b])
    assert text == to_markdown(comparison)
    table = _md_table(text, "## safety")
    header = table[0]
    for column in comparison.columns_of("safety"):
        task = column.task.split("/", 1)[1]
        position = next(i for i, h in enumerate(header) if h.startswith(task.replace("_", r"\_")))
        for row in table[1:]:
            name = row[0]
            value = _value(a if name == "model-a" else b, column.key)
            cell = row[position]
            assert (f"{value:.3f}" in cell) if value is not None else cell == "—"
            rank_ = comparison.ranks[column.key][name]
            best = comparison.is_best(column, next(r for r in comparison.rows if r.name == name))
            assert cell.startswith("**") == best
            assert cell.strip("*").endswith(f"#{rank_}") if rank_ else "#" not in cell
    # run b has no ood_detection: a blank there, and a note naming it
    robustness = _md_table(text, "## robustness")
    row_b = next(r for r in robustness[1:] if r[0] == "model-b")
    assert row_b[2] == "—"
    assert r"model-b has no results for 1 task(s): robustness/ood\_detection" in text


def _md_table(text, heading):
    block = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    return [rows[0], *rows[2:]]


def test_csv_rows_hold_the_metric_values_ranks_and_scores(runs, capsys):
    a, b = runs
    assert main(["compare", str(a), str(b), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    comparison = build_comparison([a, b])
    metric_rows = [r for r in rows if r["level"] == "metric"]
    assert len(metric_rows) == 2 * len(comparison.columns)
    for row in metric_rows:
        run_dir = a if row["model"] == "model-a" else b
        value = _value(run_dir, f"{row['task']}:{row['metric']}")
        assert row["value"] == ("" if value is None else repr(float(value)))
        ranks = comparison.ranks[f"{row['task']}:{row['metric']}"]
        assert row["rank"] == str(ranks[row["model"]] or "")
    for row in (r for r in rows if r["level"] == "dimension"):
        run_dir = a if row["model"] == "model-a" else b
        score = _results(run_dir)["scores"]["dimensions"].get(row["dimension"])
        assert (float(row["value"]) if row["value"] else None) == score
    overall = {r["model"]: r for r in rows if r["level"] == "overall"}
    sa, sb = (_results(d)["scores"]["overall"] for d in (a, b))
    assert (overall["model-a"]["rank"], overall["model-b"]["rank"]) == tuple(
        str(r) for r in _expected_pair(sa, sb, True)
    )


def test_tradeoff_points_come_from_refusal_metrics(runs):
    a, b = runs
    comparison = build_comparison([a, b])
    for point, run_dir in zip(comparison.tradeoff, (a, b), strict=True):
        x = _value(run_dir, "safety/exaggerated_safety:refusal_rate")
        harmful = [_value(run_dir, f"safety/{t}:rta") for t in ("jailbreak", "misuse")]
        assert point.safe_refusal == x
        assert point.harmful_refusal == pytest.approx(sum(harmful) / 2, abs=1e-6)
    refuser, complier_ = comparison.tradeoff
    assert refuser.harmful_refusal > complier_.harmful_refusal


def test_reference_adds_21_published_rows_and_the_judges_note(runs, capsys):
    a, b = runs
    board = load_reference("trustllm")
    comparison = build_comparison([a, b], reference="trustllm")
    published = [r for r in comparison.rows if r.kind == "published"]
    assert len(published) == 21
    assert {r.name for r in published} == {m.name for m in board.models}
    assert [c.key for c in comparison.columns if c.dimension == "safety"] == [
        "jailbreak",
        "toxicity",
        "misuse",
        "exaggerated_safety",
    ]
    run_a = next(r for r in comparison.rows if r.name == "model-a")
    assert run_a.values["misuse"] == _value(a, "safety/misuse:rta")
    compliance = _value(a, "safety/exaggerated_safety:compliance_rate_trustllm")
    assert run_a.values["exaggerated_safety"] == pytest.approx(1 - compliance)
    assert run_a.values["privacy_leakage_rta"] == _value(a, "privacy/leakage:rta_trustllm")
    assert run_a.values["internal"] is None  # published only
    gpt4 = next(r for r in published if r.name == "GPT-4")
    assert gpt4.values["jailbreak"] == 0.914
    # a rank over all 23 rows, published values included
    jailbreak = {r.name: r.values["jailbreak"] for r in comparison.rows}
    better = sum(1 for v in jailbreak.values() if v is not None and v > jailbreak["GPT-4"])
    assert comparison.ranks["jailbreak"]["GPT-4"] == better + 1
    # the CLI: the terminal table and the note; markdown rows marked "published"
    assert main(["compare", str(a), str(b), "--reference", "trustllm", "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert "Judges differ" in text and "not meaningful" in text
    summary = _md_table(text, "## Summary: scores per dimension (0-1, higher is better) and rank")
    assert sum(row[1] == "published" for row in summary[1:]) == 21
    assert sum(row[1] == "run" for row in summary[1:]) == 2


def test_html_page_is_self_contained_with_tables_charts_and_marks(runs, tmp_path, capsys):
    a, b = runs
    out = tmp_path / "page.html"
    code = main(["compare", str(a), str(b), "--reference", "trustllm", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Judges differ" in printed and f"wrote {out}" in printed
    page = out.read_text()
    assert (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'" in page
        and "<script" not in page.lower()
        and "http://" not in page.replace("http://www.w3.org", "")
        and "https://" not in page
    )
    assert page.count("<svg") >= 2  # radar and trade-off
    assert page.count('<tr class="published">') >= 21
    comparison = build_comparison([a, b], reference="trustllm")
    best_cells = sum(comparison.is_best(c, r) for c in comparison.columns for r in comparison.rows)
    assert best_cells > 0
    assert page.count('class="best') >= best_cells
    assert "Judges differ" in page


def test_html_default_is_compare_html_in_the_working_folder(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", str(runs[0]), str(runs[1])]) == 0
    assert (tmp_path / "compare.html").is_file()


def test_hostile_model_names_are_escaped(runs, tmp_path, capsys):
    hostile = tmp_path / "hostile"
    shutil.copytree(runs[0], hostile)
    manifest = json.loads((hostile / "run.json").read_text())
    manifest["model"]["spec"] = "openai:<script>alert(1)</script>"
    (hostile / "run.json").write_text(json.dumps(manifest))
    out = tmp_path / "page.html"
    assert main(["compare", str(hostile), str(runs[1]), "--out", str(out)]) == 0
    page = out.read_text()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = to_markdown(build_comparison([hostile, runs[1]]))
    assert "<script" not in md and "&lt;script&gt;" in md
    capsys.readouterr()


def test_same_model_in_two_runs_gets_told_apart(runs, tmp_path):
    copy = tmp_path / "again"
    shutil.copytree(runs[0], copy)
    comparison = build_comparison([runs[0], copy])
    names = [row.name for row in comparison.rows]
    assert names == [f"model-a ({runs[0].name})", "model-a (again)"]
    assert "model-a (again)" in to_csv(comparison)


@pytest.mark.parametrize(
    "args, message",
    [
        (["{missing}"], "no such run folder"),
        (["{empty}"], "is {empty} a trustbench run folder?"),
        (["{run}", "--reference", "helm"], "unknown reference 'helm'"),
        (["{run}", "--format", "pdf"], "unknown format 'pdf'"),
    ],
)
def test_errors_are_one_line_and_exit_2(runs, tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "run": runs[0]}
    argv = ["compare", *(arg.format(**paths) for arg in args), "--out", str(tmp_path / "x")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("trustbench: error: ") and message.format(**paths) in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_results_without_tasks_is_a_data_error(tmp_path, capsys):
    (tmp_path / "results.json").write_text('{"tasks": {}}')
    (tmp_path / "run.json").write_text('{"model": {"spec": "openai:m"}}')
    (tmp_path / "responses.jsonl").write_text("")
    assert main(["compare", str(tmp_path), "--format", "md"]) == 2
    assert "holds no task results" in capsys.readouterr().err
