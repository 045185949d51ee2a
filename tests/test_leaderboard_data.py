"""The published TrustLLM leaderboard shipped as package data, and its mapping to trustbench."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from trustbench.data.schemas import DIMENSIONS
from trustbench.errors import UsageError
from trustbench.report.leaderboard import load_reference
from trustbench.suite import TASKS

REFERENCE_NOTES = Path(__file__).resolve().parents[1].parent / "shared/reference/trustllm.md"


@pytest.fixture(scope="module")
def board():
    return load_reference("trustllm")


def _metric(task_id: str, name: str):
    """The task's own (not per-group) metric definition called ``name``."""
    matches = [m for m in TASKS[task_id].metrics if m.name == name and m.group_by is None]
    return matches[0] if matches else None


def test_21_models_16_from_the_paper_and_5_added(board):
    assert len(board.models) == 21
    assert len({m.name for m in board.models}) == 21
    added = [m.name for m in board.models if m.added_in == "v0.3.0"]
    assert sorted(added) == sorted(["ChatGLM3", "Llama3-8b", "Llama3-70b", "GLM4", "Mixtral"])
    assert sum(m.added_in == "paper" for m in board.models) == 16


def test_source_is_cited(board):
    assert "2401.05561" in board.source["paper"]
    assert "0.3.0" in board.source["additions"]


def test_every_model_has_every_column(board):
    ids = [c.id for c in board.columns]
    assert len(ids) == len(set(ids))
    for model in board.models:
        assert set(model.values) == set(ids), model.name
        for value in model.values.values():
            assert value is None or isinstance(value, float | int)


def test_columns_cover_the_six_dimensions(board):
    assert {c.dimension for c in board.columns} == set(DIMENSIONS)
    for column in board.columns:
        assert column.task in TASKS
        assert column.task.split("/")[0] == column.dimension


def test_mapped_metrics_exist_in_the_suite_with_direction_and_scale(board):
    mapped = [c for c in board.columns if c.mapped]
    assert len(mapped) >= 25
    for column in mapped:
        metric = _metric(column.task, column.metric)
        assert metric is not None, f"{column.id}: {column.task} has no metric {column.metric}"
        flipped = column.transform == "one_minus"
        assert (metric.higher_is_better != flipped) == column.higher_is_better, column.id
        assert tuple(metric.scale) == column.range, column.id
        assert (column.unit == "percent") == (metric.scale[1] == 100.0), column.id
        if column.basis == "trustllm":
            assert column.metric.endswith("_trustllm"), column.id
        else:
            assert column.basis == "same_formula" and "_trustllm" not in column.metric
            # no reference variant of this metric exists: the metric is the reference formula
            assert _metric(column.task, column.metric + "_trustllm") is None


def test_unmapped_columns_say_why(board):
    unmapped = [c for c in board.columns if not c.mapped]
    assert [c.id for c in unmapped] == ["internal"]
    assert all(c.note and c.basis is None for c in unmapped)


def test_published_direction_is_kept_where_ranks_use_another(board):
    differ = [c.id for c in board.columns if c.higher_is_better != c.published_higher_is_better]
    assert differ == ["persona_sycophancy"]


def test_values_lie_in_their_range_except_where_the_reference_allows_more(board):
    for column in board.columns:
        low, high = column.range
        for model in board.models:
            value = model.values[column.id]
            if value is not None:
                assert low <= value <= high, (model.name, column.id, value)


def test_spot_values(board):
    # A few cells, one per dimension, as printed on the leaderboard.
    by_name = {m.name: m.values for m in board.models}
    assert by_name["GPT-4"]["jailbreak"] == 0.914
    assert by_name["Llama2-7b"]["exaggerated_safety"] == 0.49
    assert by_name["Oasst-12b"]["privacy_awareness_correlation"] == -0.161
    assert by_name["Baichuan-13b"]["advinstruction"] == 93.99
    assert by_name["ChatGLM3"]["preference_rta"] is None  # n/a on the site
    assert by_name["Mixtral"]["ethics_acc"] == 0.941
    assert by_name["Llama3-70b"]["adv_factuality"] == 0.962


def test_unknown_reference_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown reference 'helm'"):
        load_reference("helm")


def test_package_data_is_plain_json_read_without_the_notes():
    path = resources.files("trustbench") / "report" / "data" / "trustllm_leaderboard.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["name"] == "trustllm" and "n/a" in raw["source"]["values"]


def _notes_tables(text: str) -> dict[str, list[list[str]]]:
    section = text.split("## 3. Headline results", 1)[1].split("\n## 4.", 1)[0]
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in section.splitlines():
        heading = re.match(r"\*\*(\w+)\*\*", line)
        if heading:
            current = heading[1]
            tables[current] = []
        elif line.startswith("|") and current:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                tables[current].append(cells)
    return tables


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@pytest.mark.skipif(not REFERENCE_NOTES.exists(), reason="reference notes not beside the repo")
def test_every_cell_equals_the_reference_notes(board):
    tables = _notes_tables(REFERENCE_NOTES.read_text(encoding="utf-8"))
    assert set(tables) == set(DIMENSIONS)
    by_key = {_key(m.name): m for m in board.models}
    checked = 0
    for dimension, (header, *rows) in tables.items():
        assert len(rows) == 21, dimension
        for position, title in enumerate(header[1:], start=1):
            label = title.rsplit(" ", 1)[0]
            arrow = title.rsplit(" ", 1)[1]
            column = next(c for c in board.columns if c.dimension == dimension and c.label == label)
            assert column.published_higher_is_better == (arrow == "↑")
            for row in rows:
                expected = None if row[position] == "n/a" else float(row[position])
                assert by_key[_key(row[0])].values[column.id] == expected, (row[0], title)
                checked += 1
    assert checked == 21 * len(board.columns)
