"""Aggregates over judged items: rates, accuracy, macro-F1, group means, bootstrap intervals.

A :class:`Metric` names a statistic over a task's scored items, its direction, and which items it
covers. Metrics never parse text: they read verdicts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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
    if isinstance(statistic, Resampled):
        # the same draws as the loop below (a block of rows is the rows drawn one by one), each
        # resample's statistic computed from counts with numpy instead of a pass of Python
        prepared = statistic.prepare(items)
        rows = max(1, min(resamples, BOOTSTRAP_BLOCK_CELLS // len(items)))
        drawn = np.concatenate(
            [
                statistic.resampled(
                    prepared, rng.integers(0, len(items), size=(min(rows, left), len(items)))
                )
                for left in range(resamples, 0, -rows)
            ]
        )
        values = drawn[np.isfinite(drawn)].tolist()
        if len(values) < resamples // 2:
            return None
        low, high = np.percentile(values, [2.5, 97.5])
        return (float(round(low, 6)), float(round(high, 6)))
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


# Statistics with a vectorized bootstrap ---------------------------------------------------------


class Resampled(ABC):
    """A statistic that also computes itself, with numpy, on many resamples at once.

    Calling it on items gives the value (the plain Python definition); :meth:`resampled` gives
    the same statistic for each row of a matrix of item indices (one bootstrap resample per
    row), NaN where it is undefined, from the per-item arrays :meth:`prepare` made once. The
    bootstrap then costs a few numpy passes per block of resamples instead of a pass of Python
    over every item per resample; the resamples, and so the interval, are the same (values may
    differ in the last bits of a float, from summing in another order).
    """

    @abstractmethod
    def __call__(self, items: Sequence[Scored]) -> float | None:
        """Implemented by each statistic."""

    @abstractmethod
    def prepare(self, items: Sequence[Scored]) -> Any:
        """Implemented by each statistic."""

    @abstractmethod
    def resampled(self, prepared: Any, picks: np.ndarray) -> np.ndarray:
        """Implemented by each statistic."""


def _codes(values: Sequence[Hashable]) -> tuple[np.ndarray, int]:
    """Small integer codes for hashable values, and how many distinct ones there are."""
    index: dict[Hashable, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))
    return codes, max(1, len(index))


def _per_row_counts(
    codes: np.ndarray, picks: np.ndarray, cells: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """For each row of ``picks``: the (weighted) count of each code among the picked items."""
    rows = picks.shape[0]
    flat = (codes[picks] + cells * np.arange(rows)[:, None]).ravel()
    counted = np.bincount(
        flat, weights=None if weights is None else weights[picks].ravel(), minlength=rows * cells
    )
    return counted.reshape(rows, cells).astype(float)


def _mean_over_defined(values: np.ndarray, defined: np.ndarray) -> np.ndarray:
    """Row means over the columns where ``defined``; NaN for a row with none."""
    count = defined.sum(axis=1)
    total = np.where(defined, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


class GroupRatio(Resampled):
    """Within each group, the sum of ``numerator`` over the sum of ``denominator`` (a share of the
    items when no denominator is given); the mean of that over the groups.

    A group whose denominator sums to 0 gets ``empty`` (None: it is left out of the mean). With
    no ``group``, all items are one group. None when no group has a value. This is
    :func:`mean_over_groups` of a share or a conditional share, as the suite's statistics use.
    """

    def __init__(
        self,
        numerator: Callable[[Scored], float],
        denominator: Callable[[Scored], float] | None = None,
        group: Callable[[dict[str, Any]], Hashable] | None = None,
        empty: float | None = None,
    ):
        self.numerator = numerator
        self.denominator = denominator
        self.group = group
        self.empty = empty

    def _one(self, items: Sequence[Scored]) -> float | None:
        if self.denominator is None:
            return sum(self.numerator(i) for i in items) / len(items) if items else None
        base = sum(self.denominator(i) for i in items)
        return sum(self.numerator(i) for i in items) / base if base else self.empty

    def __call__(self, items: Sequence[Scored]) -> float | None:
        if self.group is None:
            return self._one(items)
        return mean_over_groups(items, self.group, self._one)

    def prepare(self, items: Sequence[Scored]) -> Any:
        group = self.group
        codes, groups = _codes([group(i.record) if group else 0 for i in items])
        numerator = np.array([float(self.numerator(i)) for i in items])
        denominator = (
            None
            if self.denominator is None
            else np.array([float(self.denominator(i)) for i in items])
        )
        return codes, groups, numerator, denominator

    def resampled(self, prepared: Any, picks: np.ndarray) -> np.ndarray:
        codes, groups, numerator, denominator = prepared
        present = _per_row_counts(codes, picks, groups)
        top = _per_row_counts(codes, picks, groups, numerator)
        base = (
            present if denominator is None else _per_row_counts(codes, picks, groups, denominator)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = top / base
        if self.empty is not None:
            ratio = np.where(base == 0, self.empty, ratio)
        defined = (present > 0) & ((base != 0) | (self.empty is not None))
        return _mean_over_defined(ratio, defined)


class MacroF1(Resampled):
    """:func:`macro_f1` of ``gold`` against ``predicted`` over ``labels``; with ``group``, the
    mean over groups of each group's macro-F1. Items ``keep`` rejects are left out; a group with
    no item kept has no value (left out of the mean; None when no group has one)."""

    def __init__(
        self,
        gold: Callable[[Scored], Any],
        predicted: Callable[[Scored], Any],
        labels: Sequence[str],
        group: Callable[[dict[str, Any]], Hashable] | None = None,
        keep: Callable[[Scored], bool] | None = None,
    ):
        self.gold = gold
        self.predicted = predicted
        self.labels = tuple(labels)
        self.group = group
        self.keep = keep

    def _one(self, items: Sequence[Scored]) -> float | None:
        kept = [i for i in items if self.keep(i)] if self.keep is not None else items
        if self.keep is not None and not kept:
            return None
        return macro_f1(
            [self.gold(i) for i in kept], [self.predicted(i) for i in kept], self.labels
        )

    def __call__(self, items: Sequence[Scored]) -> float | None:
        if self.group is None:
            return self._one(items)
        return mean_over_groups(items, self.group, self._one)

    def prepare(self, items: Sequence[Scored]) -> Any:
        position = {label: index for index, label in enumerate(self.labels)}
        other = len(self.labels)  # any value outside the labels (an invalid answer, None)
        gold = np.array([position.get(self.gold(i), other) for i in items], dtype=np.int64)
        predicted = np.array(
            [position.get(self.predicted(i), other) for i in items], dtype=np.int64
        )
        codes, groups = _codes([self.group(i.record) if self.group else 0 for i in items])
        kept = (
            None if self.keep is None else np.array([1.0 if self.keep(i) else 0.0 for i in items])
        )
        side = other + 1
        cell = (codes * side + gold) * side + predicted
        return cell, groups, side, kept

    def resampled(self, prepared: Any, picks: np.ndarray) -> np.ndarray:
        cell, groups, side, kept = prepared
        labels = side - 1
        counts = _per_row_counts(cell, picks, groups * side * side, kept)
        confusion = counts.reshape(len(picks), groups, side, side)  # [row, group, gold, predicted]
        diagonal = np.diagonal(confusion, axis1=2, axis2=3)[..., :labels]
        as_gold = confusion.sum(axis=3)[..., :labels]
        as_predicted = confusion.sum(axis=2)[..., :labels]
        present = (as_gold + as_predicted) > 0
        denominator = as_gold + as_predicted  # 2tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(denominator > 0, 2 * diagonal / denominator, 0.0)
        scores = np.where(present, f1, 0.0).sum(axis=2)
        npresent = present.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_group = np.where(npresent > 0, scores / np.maximum(npresent, 1), 0.0)
        defined = confusion.sum(axis=(2, 3)) > 0
        return _mean_over_defined(per_group, defined)


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
