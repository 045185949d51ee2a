"""The public Python API; the CLI is a thin layer over these functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .data import SCHEMAS, open_data
from .evaluation import Results, evaluate, score_run
from .judge_files import check_judge, judge_file
from .planning import estimate_run
from .suite import select_tasks


def list_tasks(
    data: str | Path | None = None,
    tasks: str | None = None,
    task_files: Sequence[str | Path] = (),
) -> list[dict[str, Any]]:
    """Every task with its dimension, file, item count in the chosen data and its metrics; the
    tasks of ``task_files`` (YAML task files) follow the built-in ones."""
    from .suite.user_tasks import UserTask, load_task_files

    source = open_data(data)
    user_tasks = load_task_files(task_files)
    rows = []
    for task in [*select_tasks(tasks), *user_tasks]:
        if isinstance(task, UserTask):
            count = task.count(task.data.records) if task.data is not None else 0
        else:
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


def data_info(data: str | Path | None = None, tasks: str | None = None) -> list[dict[str, Any]]:
    """Per task: items, items in the quick selection, label balance, and where the data came from."""
    from collections import Counter

    from .suite.quick import quick_items

    source = open_data(data)
    rows = []
    for task in select_tasks(tasks):
        row: dict[str, Any] = {"id": task.id, "dimension": task.dimension, "file": task.file}
        if not source.has(task.file):
            rows.append({**row, "items": 0, "quick": 0, "labels": {}, "source": None})
            continue
        loaded = source.load(task.file)
        records = [item.record for item in task.items(loaded.records)]
        labels = Counter(task.label(record) for record in records)
        labels.pop(None, None)
        rows.append(
            {
                **row,
                "items": len(records),
                "quick": len(quick_items(task, loaded.records)),
                "labels": dict(sorted(labels.items())),
                "source": "built-in" if source.is_builtin else source.label,
                "sha256": loaded.sha256,
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


def augment_file(
    source: str | Path,
    out: str | Path,
    field: str,
    transforms: str | list[str],
    seed: int = 0,
) -> int:
    """Write each row of ``source`` once per transform (names, or one comma-separated string)
    to ``out``, the text in ``field`` transformed; return the number of rows written."""
    from .data.transforms import augment_file as augment

    return augment(source, out, field, transforms, seed)


def list_transforms(kind: str | None = None) -> list[dict[str, Any]]:
    """Every transform (or those of one kind) with its name, slug, kind and description."""
    from .data.transforms import list_transforms as transforms

    return [
        {
            "name": t.name,
            "slug": t.slug,
            "kind": t.kind,
            "description": t.description,
            "aliases": list(t.aliases),
        }
        for t in transforms(kind)
    ]


def load_run(run_dir: str | Path) -> Any:
    """A run folder as pandas DataFrames: ``.items`` (one row per item: prompt, response, verdict,
    judge and layer, invalid), ``.metrics`` (one row per task metric with its 95% CI and
    direction) and ``.manifest``; for notebooks. Raises a one-line error for a non-run folder."""
    from .report.rundata import load_run as load

    return load(run_dir)


def write_report(
    run_dir: str | Path, out: str | Path | None = None, charts: dict[str, str] | None = None
) -> Path:
    """Write the self-contained HTML report of a run (default ``RUN_DIR/report.html``).

    ``charts``: task charts already drawn (``Results.charts`` of the run just made)."""
    from .report.html import write_report as write

    return write(run_dir, out, charts)


__all__ = [
    "Results",
    "augment_file",
    "check_judge",
    "data_info",
    "estimate_run",
    "evaluate",
    "judge_file",
    "list_tasks",
    "list_transforms",
    "load_run",
    "score_run",
    "validate_data",
    "write_report",
]
