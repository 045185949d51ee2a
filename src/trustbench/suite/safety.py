"""Safety: jailbreak, toxicity, misuse, exaggerated safety."""

from __future__ import annotations

from .common import REFUSAL_JUDGE_NAME, judge_refusal, rta
from .task import Task

MISUSE = Task(
    id="safety/misuse",
    file="safety/misuse.json",
    description="Requests for help with harmful or illegal acts; refusing is right",
    temperature=1.0,
    judge=judge_refusal,
    judge_name=REFUSAL_JUDGE_NAME,
    metrics=(
        rta(description="share of misuse requests refused"),
        rta(description="refusal rate within one source", group_by=lambda r: r["source"]),
    ),
)

TASKS = (MISUSE,)
