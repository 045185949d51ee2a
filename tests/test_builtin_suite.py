"""The built-in suite: every task has enough balanced items; the quick selection; ``data info``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from trustbench import api
from trustbench.cli import main
from trustbench.data import SCHEMAS, open_data
from trustbench.suite import TASKS
from trustbench.suite.quick import QUICK_SIZE, quick_items, selected_items

SOURCE = open_data(None)
# Metrics that need more than 30 items: pairs, grids, instruction variants.
MINIMUM = {
    "robustness/advglue": 48,
    "robustness/advinstruction": 36,
    "fairness/disparagement": 40,
    "fairness/preference": 40,
}


def records(task_id: str) -> list[dict]:
    return SOURCE.load(TASKS[task_id].file).records


def test_every_official_file_is_built_in_and_valid():
    assert set(SOURCE.paths()) == set(SCHEMAS)
    for path in SOURCE.paths():
        SCHEMAS[path].validate(SOURCE.load(path).records)


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_every_task_has_enough_items(task_id):
    task = TASKS[task_id]
    assert task.count(records(task_id)) >= MINIMUM.get(task_id, 30)


@pytest.mark.parametrize("task_id", sorted(t for t in TASKS if TASKS[t].label_of is not None))
def test_classes_are_balanced(task_id):
    task = TASKS[task_id]
    counts = Counter(task.label(item.record) for item in task.items(records(task_id)))
    assert None not in counts, "every record has a class"
    assert len(counts) >= 2
    assert min(counts.values()) >= 0.5 * max(counts.values()), counts


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_quick_selection_is_small_fixed_and_in_file_order(task_id):
    task = TASKS[task_id]
    chosen = quick_items(task, records(task_id))
    assert QUICK_SIZE - 1 <= len(chosen) <= QUICK_SIZE + 1
    ids = [int(item.item_id) for item in chosen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [i.item_id for i in quick_items(task, records(task_id))] == [str(i) for i in ids]


@pytest.mark.parametrize("task_id", sorted(t for t in TASKS if TASKS[t].label_of is not None))
def test_quick_selection_spans_classes(task_id):
    task = TASKS[task_id]
    every = {task.label(item.record) for item in task.items(records(task_id))}
    chosen = {task.label(item.record) for item in quick_items(task, records(task_id))}
    if task.unit_of is None:
        assert len(chosen) == min(len(every), QUICK_SIZE)
    else:
        assert len(chosen) >= 2


def test_quick_selection_keeps_pairs_and_variants_whole():
    glue = quick_items(TASKS["robustness/advglue"], records("robustness/advglue"))
    pairs = Counter((item.record["task"], item.record["index"]) for item in glue)
    assert set(pairs.values()) == {2}
    assert len({item.record["task"] for item in glue}) == 3
    variants = quick_items(TASKS["robustness/advinstruction"], records("robustness/advinstruction"))
    assert len({item.record["index"] for item in variants}) == 1
    assert variants[0].record["type"] == "original"
    swapped = quick_items(
        TASKS["truthfulness/sycophancy_preference"], records("truthfulness/sycophancy_preference")
    )
    positions = [i.record for i in TASKS["truthfulness/sycophancy_preference"].items(
        records("truthfulness/sycophancy_preference"))]  # fmt: skip
    heads = [positions.index(item.record) for item in swapped]
    assert [h // 2 for h in heads[::2]] == [h // 2 for h in heads[1::2]]


def test_selected_items_limit_quick_and_full():
    task = TASKS["safety/misuse"]
    rows = records("safety/misuse")
    assert [i.item_id for i in selected_items(task, rows, "quick", limit=3)] == ["0", "1", "2"]
    assert len(selected_items(task, rows, "full")) == len(rows)
    assert len(selected_items(task, rows, "quick")) == QUICK_SIZE


def test_data_info_counts_labels_and_source():
    rows = {row["id"]: row for row in api.data_info()}
    assert set(rows) == set(TASKS)
    for task_id, row in rows.items():
        task = TASKS[task_id]
        assert row["items"] == task.count(records(task_id))
        assert row["source"] == "built-in"
        assert row["sha256"] == SOURCE.load(task.file).sha256
        if task.label_of is not None:
            assert sum(row["labels"].values()) == row["items"]
    assert rows["ethics/social_norm"]["labels"].keys() == {"good", "neutral", "bad"}


def test_data_info_on_a_data_set_names_it_and_its_missing_files(tmp_path, capsys):
    import shutil

    fixtures = Path(__file__).parent / "fixtures" / "official" / "dataset"
    (tmp_path / "dataset" / "privacy").mkdir(parents=True)
    shutil.copy(fixtures / "privacy" / "privacy_leakage.json", tmp_path / "dataset" / "privacy")
    rows = {row["id"]: row for row in api.data_info(tmp_path)}
    leakage = rows["privacy/leakage"]
    assert leakage["source"] != "built-in" and leakage["items"] == 8
    assert leakage["labels"] == dict(Counter(r["type"] for r in records_of(leakage, tmp_path)))
    assert rows["privacy/awareness_query"]["items"] == 0
    assert rows["privacy/awareness_query"]["source"] is None
    assert main(["data", "info", "--data", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == list(rows.values())
    assert main(["data", "info", "--tasks", "privacy"]) == 0
    out = capsys.readouterr().out
    assert "privacy/leakage" in out and "built-in" in out and "quick selection" in out


def records_of(row: dict, root: Path) -> list[dict]:
    return json.loads((root / "dataset" / row["file"]).read_text())
