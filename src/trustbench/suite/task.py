"""A task: which records, how a record becomes messages, how a response is judged and scored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..judges.context import JudgeContext
from ..metrics import Metric
from ..types import Message, Verdict

Judge = Callable[[dict[str, Any], str | None], Verdict]
# Judges that need the whole task at once (pairs of items, batched embeddings, a model).
BatchJudge = Callable[[Sequence[dict[str, Any]], Sequence[str | None], JudgeContext], list[Verdict]]


def user_prompt(record: dict[str, Any]) -> list[Message]:
    """The reference's prompt: the record's ``prompt`` as one user message, no system message."""
    return [{"role": "user", "content": record["prompt"]}]


@dataclass(frozen=True)
class Item:
    """One record of one task, ready to send."""

    task_id: str
    item_id: str
    record: dict[str, Any]
    messages: list[Message]


@dataclass(frozen=True)
class Task:
    """One TrustLLM task.

    ``temperature`` follows the reference's per-file setting; ``select`` picks this task's records
    from a shared file; ``judge`` reads one response (or ``judge_batch`` reads them all, when a
    verdict depends on other items or on a shared model); ``metrics`` aggregate the verdicts.
    """

    id: str
    file: str
    description: str
    temperature: float
    judge: Judge | None
    judge_name: str
    metrics: tuple[Metric, ...]
    select: Callable[[dict[str, Any]], bool] | None = None
    build_messages: Callable[[dict[str, Any]], list[Message]] = user_prompt
    version: str = "1"
    judge_batch: BatchJudge | None = None
    # What a record's class is (gold label, source, type), for label balance and the quick
    # selection; and which records must be sent together (pairs, variants of one instruction).
    label_of: Callable[[dict[str, Any]], Any] | None = None
    unit_of: Callable[[int, dict[str, Any]], Any] | None = None

    def __post_init__(self) -> None:
        if (self.judge is None) == (self.judge_batch is None):
            raise ValueError(f"task {self.id}: give exactly one of judge or judge_batch")

    def judges_each_item(self, context: JudgeContext) -> bool:
        """Whether each item's verdict depends on that item alone (its record and response), not
        on the task's other items nor on how many are judged together.

        Such a task's items may be judged in chunks as their responses arrive, with the verdicts
        that judging them all at once gives (the metrics still aggregate them all at the end). A
        per-item ``judge`` always does; a ``judge_batch`` says so with an attribute
        ``judges_each_item``: True, or a function of the context (for a batch judge that is
        per-item only when the resources it uses are, such as the run's refusal judge).
        """
        if self.judge is not None:
            return True
        declared = getattr(self.judge_batch, "judges_each_item", False)
        return bool(declared(context) if callable(declared) else declared)

    def judge_all(
        self,
        records: Sequence[dict[str, Any]],
        responses: Sequence[str | None],
        context: JudgeContext,
    ) -> list[Verdict]:
        if self.judge_batch is not None:
            return self.judge_batch(records, responses, context)
        assert self.judge is not None
        return [self.judge(r, text) for r, text in zip(records, responses, strict=True)]

    @property
    def dimension(self) -> str:
        return self.id.split("/", 1)[0]

    def items(self, records: Sequence[dict[str, Any]], limit: int | None = None) -> list[Item]:
        """This task's records in file order (item id = index in the file), first ``limit`` only."""
        items = []
        for index, record in enumerate(records):
            if self.select is not None and not self.select(record):
                continue
            items.append(Item(self.id, str(index), record, self.build_messages(record)))
            if limit is not None and len(items) >= limit:
                break
        return items

    def label(self, record: dict[str, Any]) -> str | None:
        if self.label_of is None:
            return None
        try:
            value = self.label_of(record)
        except (KeyError, IndexError, TypeError):
            return None
        return None if value is None else str(value)

    def count(self, records: Sequence[dict[str, Any]]) -> int:
        if self.select is None:
            return len(records)
        return sum(1 for r in records if self.select(r))

    def metric_names(self) -> list[str]:
        return [m.name + ("_<group>" if m.group_by else "") for m in self.metrics]
