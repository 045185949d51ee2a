"""The quick selection: a fixed, balanced handful of items per task.

Records that a metric reads together (an AdvGLUE original and its modified twin, the variants of
one AdvInstruction instruction, a preference-sycophancy pair) form a unit and are taken whole.
Units are drawn in file order, in turn from each class (``Task.label_of``), so that a quick run
sees every class early and the same items every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .task import Item, Task

QUICK_SIZE = 6
# Answers in the quick selection are cut here: enough to read a choice, a label or a refusal,
# and it keeps the first run on the embedded model to minutes.
QUICK_MAX_TOKENS = 128
SELECTIONS = ("quick", "full")


def _units(task: Task, items: list[Item]) -> list[list[Item]]:
    units: dict[Any, list[Item]] = {}
    for position, item in enumerate(items):
        key = position if task.unit_of is None else task.unit_of(position, item.record)
        units.setdefault(key, []).append(item)
    return list(units.values())


def quick_items(
    task: Task, records: Sequence[dict[str, Any]], size: int = QUICK_SIZE
) -> list[Item]:
    """About ``size`` items of ``task``, balanced over its classes, in file order.

    A unit larger than ``size`` alone contributes its first ``size`` items (for AdvInstruction,
    the original and the first perturbations).
    """
    by_class: dict[str | None, list[list[Item]]] = {}
    for unit in _units(task, task.items(records)):
        by_class.setdefault(task.label(unit[0].record), []).append(unit)
    queues = list(by_class.values())
    chosen: list[Item] = []
    turn = 0
    while len(chosen) < size and any(queues):
        queue = queues[turn % len(queues)]
        turn += 1
        if not queue:
            continue
        unit = queue.pop(0)
        if chosen and len(chosen) + len(unit) > size + 1:
            continue  # too big to add without overshooting; a smaller unit may still fit
        chosen.extend(unit[:size])
    return sorted(chosen, key=lambda item: int(item.item_id))


def selected_items(
    task: Task, records: Sequence[dict[str, Any]], selection: str, limit: int | None = None
) -> list[Item]:
    """``limit`` first items, else the quick selection or every item."""
    if limit is not None:
        return task.items(records, limit)
    if selection == "quick":
        return quick_items(task, records)
    return task.items(records)
