"""Aggregates over judged items: rates, accuracy, macro-F1, group means, bootstrap intervals.

A :class:`Metric` names a statistic over a task's scored items, its direction, and which items it
covers. Metrics never parse text: they read verdicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data.schemas import DIMENSIONS
from .types import Verdict

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240721
BOOTSTRAP_BLOCK_CELLS = 1_000_000  # resampled values held at once (16 MB with their indices)


@dataclass(frozen=True)
class Scored:
    """One judged item: the data record, the response text and the verdict."""

    record: dict[str, Any]
    response: str | None
    verdict: Verdict


ItemValue = Callable[[Scored], float]
Statistic = Callable[[Sequence[Scored]], float | None]


@dataclass(frozen=True)
class Metric:
    """A named aggregate over the items ``where`` selects.

    Give ``per_item`` for a mean of per-item values (rates, accuracy: fast vectorized bootstrap),
    or ``statistic`` for anything else (macro-F1, means over groups). ``group_by`` expands the
    metric into one per group value, named ``<name>_<group>``.
    """

    name: str
    higher_is_better: bool
    description: str
    per_item: ItemValue | None = None
    statistic: Statistic | None = None
    where: Callable[[Scored], bool] | None = None
    group_by: Callable[[dict[str, Any]], Hashable] | None = None
    primary: bool = False
    scale: tuple[float, float] = (0.0, 1.0)
    undefined: str = ""  # why the value can be null, said in results

    def __post_init__(self) -> None:
        if (self.per_item is None) == (self.statistic is None):
            raise ValueError(f"metric {self.name}: give exactly one of per_item or statistic")


@dataclass(frozen=True)
class MetricValue:
    value: float | None
    higher_is_better: bool
    n: int
    ci: tuple[float, float] | None
    description: str
    primary: bool = False
    scale: tuple[float, float] = (0.0, 1.0)
    note: str | None = None

    def normalized(self) -> float | None:
        """The value on a 0-1 scale where 1 is best, or None when there is no value."""
        if self.value is None:
            return None
        low, high = self.scale
        share = min(1.0, max(0.0, (self.value - low) / (high - low)))
        return share if self.higher_is_better else 1.0 - share

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "higher_is_better": self.higher_is_better,
            "n": self.n,
            "ci95": list(self.ci) if self.ci is not None else None,
            "primary": self.primary,
            "description": self.description,
            **({"note": self.note} if self.note else {}),
        }


def _round(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(round(value, 6))


def _bootstrap_mean(values: np.ndarray, seed: int) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    rng = np.random.default_rng(seed)
    # Resamples are drawn in blocks so that memory stays bounded however many items there are;
    # the generator yields the same draws, and so the same interval, as in one block.
    rows = max(1, min(BOOTSTRAP_RESAMPLES, BOOTSTRAP_BLOCK_CELLS // len(values)))
    means = np.concatenate(
        [
            values[rng.integers(0, len(values), size=(min(rows, left), len(values)))].mean(axis=1)
            for left in range(BOOTSTRAP_RESAMPLES, 0, -rows)
        ]
    )
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(round(low, 6)), float(round(high, 6)))


def _bootstrap_statistic(
    items: Sequence[Scored], statistic: Statistic, seed: int
) -> tuple[float, float] | None:
    if len(items) < 2:
        return None
    rng = np.random.default_rng(seed)
    resamples = BOOTSTRAP_RESAMPLES // 2
    values = []
    for _ in range(resamples):
        picked = rng.integers(0, len(items), size=len(items))
        value = statistic([items[i] for i in picked])
        if value is not None and np.isfinite(value):
            values.append(value)
    if len(values) < resamples // 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return (float(round(low, 6)), float(round(high, 6)))


def _evaluate(metric: Metric, items: Sequence[Scored], seed: int) -> MetricValue:
    if metric.per_item is not None:
        values = np.array([metric.per_item(item) for item in items], dtype=float)
        value = float(values.mean()) if len(values) else None
        ci = _bootstrap_mean(values, seed)
    else:
        assert metric.statistic is not None
        value = metric.statistic(items) if items else None
        ci = _bootstrap_statistic(items, metric.statistic, seed) if value is not None else None
    value = _round(value)
    note = None
    if value is None:
        note = metric.undefined or (
            "no items to score" if not items else "undefined for these items"
        )
    return MetricValue(
        value,
        metric.higher_is_better,
        len(items),
        ci,
        metric.description,
        primary=metric.primary and metric.group_by is None,
        scale=metric.scale,
        note=note,
    )


def compute_metrics(metrics: Sequence[Metric], scored: Sequence[Scored]) -> dict[str, MetricValue]:
    """Every metric (expanded per group) over the scored items, each with a seeded 95% CI."""
    results: dict[str, MetricValue] = {}
    for position, metric in enumerate(metrics):
        items = [s for s in scored if metric.where is None or metric.where(s)]
        seed = BOOTSTRAP_SEED + position
        if metric.group_by is None:
            results[metric.name] = _evaluate(metric, items, seed)
            continue
        groups: dict[Hashable, list[Scored]] = defaultdict(list)
        for item in items:
            groups[metric.group_by(item.record)].append(item)
        for offset, group in enumerate(sorted(groups, key=str)):
            results[f"{metric.name}_{group}"] = _evaluate(
                metric, groups[group], seed + 100 * offset
            )
    return results


# Statistics shared by tasks -------------------------------------------------------------------


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str | None], labels: Sequence[str]) -> float:
    """Mean F1 over those ``labels`` that occur as gold or as prediction.

    A prediction outside ``labels`` (an invalid answer) is simply wrong: it lowers the recall of
    the gold label and is never dropped. A label that occurs nowhere is left out of the mean, as in
    scikit-learn's default, so a source with only SUPPORT items answered right scores 1.
    """
    present = set(y_true) | set(y_pred)
    scores = []
    for label in (label for label in labels if label in present):
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == label and p != label)
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def mean_over_groups(
    items: Sequence[Scored],
    group: Callable[[dict[str, Any]], Hashable],
    statistic: Statistic,
) -> float | None:
    """Mean of ``statistic`` computed within each group; groups where it is undefined are skipped."""
    groups: dict[Hashable, list[Scored]] = defaultdict(list)
    for item in items:
        groups[group(item.record)].append(item)
    values = [v for v in (statistic(g) for g in groups.values()) if v is not None]
    return float(np.mean(values)) if values else None


def task_score(metrics: dict[str, MetricValue]) -> float | None:
    """Mean of a task's primary metrics, each normalized so that 1 is best."""
    values = [v.normalized() for v in metrics.values() if v.primary]
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def trust_scores(task_scores: dict[str, float | None]) -> dict[str, Any]:
    """Dimension scores (mean of their tasks' scores) and the overall score (mean of the six
    TrustLLM dimensions; a user-defined dimension such as ``custom`` gets a score of its own but
    does not enter the overall).

    Only primary metrics enter; ``_trustllm`` variants and per-group breakdowns never do.
    Keys of ``task_scores`` are task ids (``<dimension>/<task>``).
    """
    by_dimension: dict[str, list[float]] = defaultdict(list)
    for task_id, score in task_scores.items():
        if score is not None:
            by_dimension[task_id.split("/", 1)[0]].append(score)
    dimensions = {d: _round(float(np.mean(v))) for d, v in by_dimension.items()}
    trustllm = [value for name, value in dimensions.items() if name in DIMENSIONS]
    overall = _round(float(np.mean(trustllm))) if trustllm else None
    return {
        "overall": overall,
        "dimensions": dimensions,
        "tasks": {k: _round(v) for k, v in task_scores.items()},
    }
