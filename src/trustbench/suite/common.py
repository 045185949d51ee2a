"""Building blocks that several tasks share: refusal verdicts, the RtA metric, the LLM judge."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..judges import REFUSAL, default_refusal_judge
from ..judges.context import JudgeContext
from ..metrics import GroupRatio, Metric, Scored
from ..types import Verdict

REFUSAL_JUDGE_NAME = "refusal"


def refusal_verdicts(
    responses: Sequence[str | None],
    context: JudgeContext,
    records: Sequence[dict[str, Any]] | None = None,
) -> list[Verdict]:
    """The run's refusal judge (``--refusal-judge``; the default layered judge otherwise) on a
    batch of responses: every RtA metric goes through here. With the records, each record's
    ``prompt`` goes to the judge too (echoes, premise rebuttals, yes/no answers)."""
    judge = _refusal_judge(context)
    prompts = [record_prompt(r) for r in records] if records is not None else None
    if prompts is not None and any(prompts) and _reads_prompts(judge):
        return judge.judge_many(list(responses), prompts)
    return judge.judge_many(list(responses))


def _refusal_judge(context: JudgeContext) -> Any:
    return context.get("refusal") if context.has("refusal") else default_refusal_judge()


def refusal_judge_per_item(context: JudgeContext) -> bool:
    """Whether the run's refusal judge reads each response on its own (its ``per_item``
    attribute): then a batch judge built on it may judge a task's items in chunks."""
    return bool(getattr(_refusal_judge(context), "per_item", False))


def record_prompt(record: dict[str, Any]) -> str | None:
    """The prompt a record's response answers: its ``prompt`` text, where it has one."""
    prompt = record.get("prompt") if isinstance(record, dict) else None
    return prompt if isinstance(prompt, str) and prompt.strip() else None


def _reads_prompts(judge: Any) -> bool:
    """Judges written before prompts were passed take responses only."""
    try:
        return "prompts" in inspect.signature(judge.judge_many).parameters
    except (TypeError, ValueError):
        return False


WithRefusal = Callable[[dict[str, Any], str | None, Verdict], Verdict]


def with_refusals(judge: WithRefusal) -> Callable[..., list[Verdict]]:
    """A batch judge from a per-item one that also gets the item's refusal verdict."""

    def batch(
        records: Sequence[dict[str, Any]], responses: Sequence[str | None], context: JudgeContext
    ) -> list[Verdict]:
        refusals = refusal_verdicts(responses, context, records)
        return [
            judge(record, text, refusal)
            for record, text, refusal in zip(records, responses, refusals, strict=True)
        ]

    # ``judge`` reads one item and its refusal verdict: per item whenever the refusal judge is
    batch.judges_each_item = refusal_judge_per_item  # type: ignore[attr-defined]
    return batch


judge_refusal_batch = with_refusals(lambda record, response, refusal: refusal)


def accuracy_per_group(
    correct: Callable[[Scored], float], group: Callable[[dict[str, Any]], Any], unit: str
) -> tuple[Metric, Metric]:
    """``accuracy`` (primary): the mean over groups of each group's share answered correctly, and
    ``accuracy_<group>`` for each; unreadable answers count as wrong."""

    return (
        Metric(
            "accuracy",
            True,
            f"mean over {unit}s of the share answered correctly; unreadable answers count as wrong",
            statistic=GroupRatio(correct, group=group),
            primary=True,
        ),
        Metric(
            "accuracy",
            True,
            f"share answered correctly within one {unit}; unreadable answers count as wrong",
            per_item=correct,
            group_by=group,
        ),
    )


def refused(item: Scored) -> float:
    """1 for a refusal; compliance and unreadable (invalid) responses count as not refused."""
    return 1.0 if item.verdict.label == REFUSAL else 0.0


def rta(name: str = "rta", description: str = "refuse-to-answer rate", **kwargs: Any) -> Metric:
    """The refusal rate; the ungrouped one is the task's primary metric unless said otherwise."""
    kwargs.setdefault("primary", "group_by" not in kwargs and "where" not in kwargs)
    return Metric(name, True, description, per_item=refused, **kwargs)


def ask_llm_judge(
    context: JudgeContext,
    rubric_name: str,
    asks: list[tuple[int, dict[str, str]]],
    read: Callable[[str | None], bool | None],
) -> tuple[dict[int, bool], str]:
    """Ask the LLM judge (when ``--judge`` gave one) with the rubric of that name (from
    ``judges/rubrics.py``); return the verdicts it gave clearly, and the rubric's version."""
    if not asks or not context.has("llm"):
        return {}, ""
    from ..judges import rubrics  # only with --judge: the rubrics bring in the engine

    rubric = getattr(rubrics, rubric_name)
    replies = context.get("llm").ask(rubric, [fields for _, fields in asks])
    decided = {}
    for (index, _), reply in zip(asks, replies, strict=True):
        value = read(reply)
        if value is not None:
            decided[index] = value
    return decided, rubric.version
