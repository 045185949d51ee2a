"""Helpers the task tests share: fixture records, hand-made item results, metric values."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trustbench.data import open_data
from trustbench.scoring import ItemResult, TaskResult
from trustbench.suite import Task

FIXTURES = Path(__file__).parent / "fixtures" / "official"


def fixture_records(path: str) -> list[dict[str, Any]]:
    """The records of one official-schema fixture file (``<dimension>/<file>.json``)."""
    return open_data(FIXTURES).load(path).records


def item_results(
    task: Task,
    pairs: Iterable[tuple[dict[str, Any], str | None]],
    errors: dict[int, str] | None = None,
    item_ids: Iterable[str] | None = None,
) -> list[ItemResult]:
    """ItemResults for (record, response) pairs; ``errors`` maps a position to an error text."""
    errors = errors or {}
    pairs = list(pairs)
    ids = list(item_ids) if item_ids is not None else [str(i) for i in range(len(pairs))]
    return [
        ItemResult(
            task_id=task.id,
            item_id=item_id,
            record=record,
            messages=task.build_messages(record),
            key=f"key-{index}",
            response=response,
            error=errors.get(index),
        )
        for index, ((record, response), item_id) in enumerate(zip(pairs, ids, strict=True))
    ]


def metric_values(result: TaskResult) -> dict[str, float | None]:
    return {name: value.value for name, value in result.metrics.items()}
