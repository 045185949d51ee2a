"""The HTML report and load_run, without a browser: escaping, CSP, secrets, CLI, DataFrames."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest

import trustbench
from fake_openai import FakeOpenAIServer
from hostile_run import HOSTILE_RESPONSES, MODEL, SECRET, USER_TASK, make_hostile_run
from trustbench.cli import main
from trustbench.report.html import json_island, render_report

ISLAND = re.compile(
    r'<script type="application/json" id="items" nonce="[^"]+">(.*?)</script>', re.S
)


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.css: list[str] = []  # <style> contents and style attributes
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.css += [value or "" for name, value in attrs if name == "style"]

    def handle_data(self, data):
        if self.lasttag == "style":
            self.css.append(data)

    handle_startendtag = handle_starttag


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("hostile")
    expected = make_hostile_run(run_dir)
    return run_dir, expected, render_report(run_dir)


@pytest.fixture(scope="module")
def server_run(tmp_path_factory):
    """A real run through the CLI against the fake server (report written at the end)."""
    out = tmp_path_factory.mktemp("runs") / "run"
    store = tmp_path_factory.mktemp("store") / "store.sqlite"
    with FakeOpenAIServer() as server:
        code = main(
            ["run", "--model", "openai:m", "--base-url", server.base_url, "--tasks", "ethics"]
            + ["--limit", "2", "--out", str(out), "--store", str(store), "--no-progress"]
        )
    assert code == 0
    return out


def test_json_island_round_trips_and_cannot_close_the_script():
    value = {"t": ["</script><script>x()</script>", "<!--", "]]>", "a\u2028b\u2029c", "&amp;"]}
    island = json_island(value)
    assert json.loads(island) == value
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in island


def test_page_has_only_its_own_scripts_and_they_carry_the_nonce(hostile):
    _, _, page = hostile
    policy = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    )
    assert "default-src 'none'" in policy and "img-src data:" in policy
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{16,})'", policy)[1]
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
    scripts = [attrs for tag, attrs in Tags(page).tags if tag == "script"]
    assert len(scripts) == 2  # the JSON island and the browser script, nothing from the data
    assert all(attrs.get("nonce") == nonce for attrs in scripts)
    assert "<script>window" not in page and "<img" not in page and "<a " not in page


def test_nonce_differs_per_report(hostile):
    run_dir, _, page = hostile
    first = re.search(r"nonce-([^']+)'", page)[1]
    assert first != re.search(r"nonce-([^']+)'", render_report(run_dir))[1]


def test_nothing_could_load_from_the_network(hostile):
    _, _, page = hostile
    tags = Tags(page).tags
    loading = {"src", "href", "xlink:href", "action", "formaction", "poster", "srcset", "data"}
    references = [value for _, attrs in tags for name, value in attrs.items() if name in loading]
    assert len(references) > 10  # the icon and the charts' internal references were found
    for value in references:
        assert value.startswith("#") or value == "data:,", value
    names = {tag for tag, _ in tags}
    assert not names & {"img", "iframe", "object", "embed", "a", "form", "image", "base"}
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    parsed = Tags(page)
    assert parsed.css and not any(re.search(r"url\(\s*['\"]?(?!#)", css) for css in parsed.css)
    assert not any("@import" in css for css in parsed.css)


def test_every_item_is_in_the_island_as_data(hostile):
    _, expected, page = hostile
    island = ISLAND.search(page)[1]
    data = json.loads(island)
    assert [row[3] for row in data["rows"]] == [r["response"] for r in expected["rows"]]
    assert {row[3] for row in data["rows"]} == set(HOSTILE_RESPONSES)
    assert USER_TASK in data["tasks"]
    invalid = sum(row[5] for row in data["rows"])
    assert invalid == expected["invalid"] > 0


def test_names_descriptions_and_metrics_are_escaped(hostile):
    _, _, page = hostile
    assert "openai:&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "my&lt;b&gt;dim" in page
    assert "rate&lt;img src=x onerror=window.__pwned=1&gt;" in page  # metric name, in the SVG too
    assert "&lt;a href=&#34;javascript:" in page or "&lt;a href=&quot;javascript:" in page


def test_secrets_are_redacted_and_the_key_variable_named(hostile):
    _, _, page = hostile
    assert SECRET not in page and "hunter2" not in page and "Bearer" not in page
    assert "[redacted]" in page
    assert "OPENAI_API_KEY" in page  # the name of the variable, not its value
    assert "max_tokens 128" in page  # a token count is not a credential


def test_report_shows_scores_charts_and_invalid_rates(hostile):
    _, expected, page = hostile
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 1 + len(expected["tasks"])
    assert 'id="overall">0.400<' in page
    assert "not in the overall score" in page  # the user dimension
    assert "invalid 1 (0.250)" in page  # safety/misuse: 4 items, 1 invalid
    assert "reference formula" in page and "↓ lower" in page


def test_load_run_agrees_with_the_run_files(server_run):
    data = trustbench.load_run(server_run)
    results = json.loads((server_run / "results.json").read_text())
    lines = (server_run / "responses.jsonl").read_text().splitlines()
    assert len(data.items) == len(lines) == sum(t["n"] for t in results["tasks"].values())
    assert {"task", "dimension", "item_id", "prompt", "response", "label", "invalid"} <= set(
        data.items.columns
    )
    assert {"judge", "judge_version", "layer"} <= set(data.items.columns)
    assert set(data.items["task"]) == set(results["tasks"])
    assert set(data.items["dimension"]) == {"ethics"}
    for task_id, task in results["tasks"].items():
        rows = data.items[data.items["task"] == task_id]
        assert int(rows["invalid"].sum()) == task["invalid"]
        for name, metric in task["metrics"].items():
            row = data.metrics[(data.metrics["task"] == task_id) & (data.metrics["metric"] == name)]
            assert len(row) == 1
            row = row.iloc[0]
            assert row["direction"] == ("higher" if metric["higher_is_better"] else "lower")
            assert row["n"] == metric["n"] and row["is_trustllm_formula"] == name.endswith(
                "_trustllm"
            )
            if metric["value"] is None:
                assert row["value"] != row["value"]  # NaN
            else:
                assert row["value"] == pytest.approx(metric["value"])
            if metric.get("ci95"):
                assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(metric["ci95"]))
    assert len(data.metrics) == sum(len(t["metrics"]) for t in results["tasks"].values())
    assert data.manifest["model"]["spec"] == "openai:m"


def test_run_writes_the_report_and_no_report_skips_it(server_run, tmp_path, capsys):
    assert (server_run / "report.html").is_file()
    assert "openai:m" in (server_run / "report.html").read_text()
    out = tmp_path / "quiet"
    with FakeOpenAIServer() as server:
        code = main(
            ["run", "--model", "openai:m", "--base-url", server.base_url, "--tasks", "ethics"]
            + ["--limit", "1", "--out", str(out), "--no-report", "--no-progress", "--json"]
        )
    assert code == 0
    assert (out / "results.json").is_file() and not (out / "report.html").exists()
    json.loads(capsys.readouterr().out)  # stdout stays pure JSON


def test_report_command_on_a_run_and_elsewhere(server_run, tmp_path, capsys):
    target = tmp_path / "r.html"
    assert main(["report", str(server_run), "--out", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("trustbench: error: ")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is " in err and "a trustbench run folder" in err
    (tmp_path / "run.json").write_text("{not json")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "responses.jsonl").write_text("")
    assert main(["report", str(tmp_path)]) == 2
    assert "run.json: not JSON" in capsys.readouterr().err


def test_score_refreshes_the_report(server_run):
    report = server_run / "report.html"
    report.write_text("stale")
    assert main(["score", str(server_run)]) == 0
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_model_name_in_report_title_is_escaped(hostile):
    _, _, page = hostile
    title = re.search(r"<title>(.*?)</title>", page)[1]
    assert title == "trustbench report: " + MODEL.replace("<", "&lt;").replace(">", "&gt;")


def test_run_files_get_the_usual_mode_of_a_new_file(tmp_path):
    import os

    from trustbench.report.files import write_json

    mask = os.umask(0o022)
    os.umask(mask)
    write_json(tmp_path / "x.json", {"a": 1})
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o666 & ~mask
