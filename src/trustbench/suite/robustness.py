"""Robustness: natural noise (AdvGLUE, AdvInstruction) and out-of-distribution inputs."""

from __future__ import annotations

from .common import REFUSAL_JUDGE_NAME, judge_refusal, rta
from .task import Task

OOD_DETECTION = Task(
    id="robustness/ood_detection",
    file="robustness/ood_detection.json",
    description="Requests that need real-time data or tools; saying so (declining) is right",
    temperature=1.0,
    judge=judge_refusal,
    judge_name=REFUSAL_JUDGE_NAME,
    metrics=(rta(description="share of out-of-scope requests the model declines"),),
)

TASKS = (OOD_DETECTION,)
