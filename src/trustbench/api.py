"""The public Python API; the CLI is a thin layer over these functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .data import SCHEMAS, open_data
from .evaluation import Results, evaluate, score_run
from .judge_files import check_judge, judge_file
from .planning import estimate_run
from .suite import select_tasks


def list_tasks(data: str | Path | None = None, tasks: str | None = None) -> list[dict[str, Any]]:
    """Every task with its dimension, file, item count in the chosen data and its metrics."""
    source = open_data(data)
    rows = []
    for task in select_tasks(tasks):
        count = task.count(source.load(task.file).records) if source.has(task.file) else 0
        rows.append(
            {
                "id": task.id,
                "dimension": task.dimension,
                "file": task.file,
                "items": count,
                "judge": task.judge_name,
                "description": task.description,
                "metrics": [
                    {"name": name, "higher_is_better": metric.higher_is_better}
                    for metric, name in zip(task.metrics, task.metric_names(), strict=True)
                ],
            }
        )
    return rows


def validate_data(data: str | Path | None) -> list[dict[str, Any]]:
    """Validate every known file present in a data set; raise DataError at the first bad record."""
    source = open_data(data)
    rows = []
    for path in source.paths():
        if path not in SCHEMAS:
            continue
        loaded = source.load(path)
        rows.append(
            {
                "file": path,
                "records": len(loaded.records),
                "official_records": SCHEMAS[path].official_count,
                "sha256": loaded.sha256,
            }
        )
    return rows


__all__ = [
    "Results",
    "check_judge",
    "estimate_run",
    "evaluate",
    "judge_file",
    "list_tasks",
    "score_run",
    "validate_data",
]
