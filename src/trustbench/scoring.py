"""Judging and aggregation of one task's responses: verdicts per item, then metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .judges.context import JudgeContext
from .metrics import MetricValue, Scored, compute_metrics, task_score
from .suite import Task
from .types import Message, Verdict


@dataclass(frozen=True)
class ItemResult:
    """One item end to end: what was sent, what came back, and what the judge read."""

    task_id: str
    item_id: str
    record: dict[str, Any]
    messages: list[Message]
    key: str
    response: str | None
    error: str | None = None
    cached: bool = False
    finish_reason: str | None = None
    verdict: Verdict | None = None
    permanent_error: bool = False  # stored; sent again only with --retry-errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task_id,
            "item_id": self.item_id,
            "key": self.key,
            "messages": self.messages,
            "response": self.response,
            "finish_reason": self.finish_reason,
            "cached": self.cached,
            "error": self.error,
            **({"permanent_error": self.permanent_error} if self.error else {}),
            "verdict": self.verdict.to_dict() if self.verdict else None,
            "record": self.record,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ItemResult:
        return cls(
            task_id=row["task"],
            item_id=str(row["item_id"]),
            record=row["record"],
            messages=row["messages"],
            key=row["key"],
            response=row.get("response"),
            error=row.get("error"),
            cached=bool(row.get("cached")),
            finish_reason=row.get("finish_reason"),
            permanent_error=bool(row.get("permanent_error")),
        )


@dataclass
class TaskResult:
    task: Task
    items: list[ItemResult]
    metrics: dict[str, MetricValue] = field(default_factory=dict)

    @property
    def scored(self) -> list[ItemResult]:
        return [i for i in self.items if i.error is None]

    @property
    def invalid(self) -> int:
        return sum(1 for i in self.scored if i.verdict is not None and not i.verdict.valid)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.items if i.error is not None)

    def error_messages(self, limit: int = 5) -> dict[str, int]:
        """The commonest error messages of the items that got no response, with counts."""
        counts = Counter(i.error for i in self.items if i.error is not None)
        return dict(counts.most_common(limit))

    def to_dict(self, sha256: str | None = None) -> dict[str, Any]:
        n = len(self.scored)
        return {
            "dimension": self.task.dimension,
            "description": self.task.description,
            "version": self.task.version,
            "file": self.task.file,
            "sha256": sha256,
            "judge": self.task.judge_name,
            "n": n,
            "invalid": self.invalid,
            "invalid_rate": round(self.invalid / n, 6) if n else None,
            "errors": self.errors,
            "permanent_errors": sum(1 for i in self.items if i.error and i.permanent_error),
            "error_messages": self.error_messages(),
            "score": task_score(self.metrics),
            "metrics": {name: value.to_dict() for name, value in self.metrics.items()},
        }


def judge_task(
    task: Task, items: Sequence[ItemResult], context: JudgeContext | None = None
) -> tuple[list[Verdict], dict[str, MetricValue]]:
    """The verdicts of the items that have a response (in order) and the task's metrics."""
    answered = [item for item in items if item.error is None]
    verdicts = task.judge_all(
        [item.record for item in answered],
        [item.response for item in answered],
        context or JudgeContext(),
    )
    scored = [
        Scored(item.record, item.response, verdict)
        for item, verdict in zip(answered, verdicts, strict=True)
    ]
    return list(verdicts), compute_metrics(task.metrics, scored)


class ChunkedJudging:
    """A task whose judge reads each item on its own (:meth:`Task.judges_each_item`), judged in
    chunks of its items as they come, in any order: :meth:`finish` returns what
    :func:`judge_task` returns for all of them at once (the same verdicts, and the metrics
    computed once over every verdict in item order)."""

    def __init__(self, task: Task, context: JudgeContext | None = None):
        self.task = task
        self.context = context or JudgeContext()
        self.items: dict[int, ItemResult] = {}
        self.verdicts: dict[int, Verdict] = {}

    def add(self, positions: Sequence[int], items: Sequence[ItemResult]) -> None:
        """Judge these items (``positions``: their indexes among the task's items)."""
        answered = [
            (position, item)
            for position, item in zip(positions, items, strict=True)
            if item.error is None
        ]
        if answered:
            verdicts = self.task.judge_all(
                [item.record for _, item in answered],
                [item.response for _, item in answered],
                self.context,
            )
            for (position, _), verdict in zip(answered, verdicts, strict=True):
                self.verdicts[position] = verdict
        self.items.update(zip(positions, items, strict=True))

    def finish(
        self, positions: Sequence[int] = (), items: Sequence[ItemResult] = ()
    ) -> tuple[list[Verdict], dict[str, MetricValue]]:
        """Judge the last items, then return the verdicts of the answered items in task order
        and the task's metrics, as :func:`judge_task` would."""
        self.add(positions, items)
        count = len(self.items)
        if any(position not in self.items for position in range(count)):
            raise ValueError(f"task {self.task.id}: chunks do not cover its {count} items")
        ordered = [self.items[position] for position in range(count)]
        verdicts = [self.verdicts[p] for p, item in enumerate(ordered) if item.error is None]
        scored = [
            Scored(item.record, item.response, verdict)
            for item, verdict in zip(
                (item for item in ordered if item.error is None), verdicts, strict=True
            )
        ]
        return verdicts, compute_metrics(self.task.metrics, scored)


def task_result(
    task: Task,
    items: Sequence[ItemResult],
    verdicts: Sequence[Verdict],
    metrics: dict[str, MetricValue],
) -> TaskResult:
    """The items with their verdicts (items that failed to generate stay unjudged)."""
    remaining = iter(verdicts)
    judged = [_with_verdict(item, None if item.error else next(remaining)) for item in items]
    return TaskResult(task, judged, metrics)


def _with_verdict(item: ItemResult, verdict: Verdict | None) -> ItemResult:
    """``dataclasses.replace(item, verdict=verdict)`` at a fifth of its cost (a large run has
    tens of thousands of items): a shallow copy of the fields with the one set."""
    judged = object.__new__(ItemResult)
    judged.__dict__.update(item.__dict__)
    judged.__dict__["verdict"] = verdict
    return judged


def score_task(
    task: Task, items: Sequence[ItemResult], context: JudgeContext | None = None
) -> TaskResult:
    """Judge every item that has a response; items that failed to generate stay unjudged."""
    verdicts, metrics = judge_task(task, items, context)
    return task_result(task, items, verdicts, metrics)
