"""The task registry: every task by canonical id, and selection by id, dimension or glob."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from ..data.schemas import DIMENSIONS
from ..errors import UsageError
from . import ethics, fairness, privacy, robustness, safety, truthfulness
from .task import Item, Task

_MODULES = (truthfulness, safety, fairness, robustness, privacy, ethics)

TASKS: dict[str, Task] = {task.id: task for module in _MODULES for task in module.TASKS}


def select_tasks(spec: str | Iterable[str] | None = None) -> list[Task]:
    """Tasks named by ids, dimensions or globs (comma-separated or a list); ``None``/"all" = every task.

    Order follows the registry (dimension by dimension), whatever the order asked.
    """
    if spec is None:
        return list(TASKS.values())
    parts = [p.strip() for p in (spec.split(",") if isinstance(spec, str) else spec)]
    parts = [p for p in parts if p]
    if not parts or "all" in parts:
        return list(TASKS.values())
    chosen: set[str] = set()
    for part in parts:
        if part in TASKS:
            matches = [part]
        elif part in DIMENSIONS:
            matches = [t for t in TASKS if t.startswith(part + "/")]
        else:
            matches = fnmatch.filter(TASKS, part)
        if not matches:
            known = ", ".join(TASKS)
            raise UsageError(
                f"no task matches {part!r}; use a task id, a dimension or a glob. Tasks: {known}"
            )
        chosen.update(matches)
    return [task for task_id, task in TASKS.items() if task_id in chosen]


__all__ = ["TASKS", "Item", "Task", "select_tasks"]
