"""The metrics a task file can name (``metric.kind``), built on :class:`~trustbench.metrics.Metric`.

Unreadable (invalid) responses stay in the denominator of rates, accuracy and macro-F1, counted
against the model. A correlation or a mean cannot hold a response that gave no number: those
metrics leave such responses out and the task also reports ``invalid_rate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..metrics import ItemValue, Metric, Scored, Statistic, macro_f1
from .privacy import pearson
from .user_judges import UserJudge
from .user_spec import Section, TaskFileError, as_text, describe, one_of

METRIC_KINDS = ("rate", "accuracy", "macro_f1", "pearson", "mean")
_KEYS = ("kind", "name", "label", "higher_is_better", "group_by", "scale", "description")
_NAME = re.compile(r"\w+")


def _slug(text: str) -> str:
    """Text as part of a metric name: "Safe targets" -> "safe_targets"."""
    return re.sub(r"\W+", "_", text.strip().lower()).strip("_") or "unknown"


def group_value(field: str) -> Callable[[dict[str, Any]], str]:
    """A record's group (its value of ``field``) as a metric-name suffix."""
    return lambda record: _slug(as_text(record.get(field)))


def _has_score(item: Scored) -> bool:
    return item.verdict.score is not None


def _correct(item: Scored) -> float:
    return 1.0 if item.verdict.fields.get("correct") else 0.0


def _rate(label: str, higher_is_better: bool) -> Callable[[Scored], float]:
    def value(item: Scored) -> float:
        if not item.verdict.valid:  # unreadable: counted against the model, whichever way
            return 0.0 if higher_is_better else 1.0
        return 1.0 if item.verdict.label == label else 0.0

    return value


def _macro_f1(labels: Sequence[str]) -> Callable[[Sequence[Scored]], float | None]:
    def statistic(items: Sequence[Scored]) -> float | None:
        return macro_f1(
            [i.verdict.fields.get("gold") for i in items], [i.verdict.label for i in items], labels
        )

    return statistic


def _rated(item: Scored) -> bool:
    return item.verdict.valid and item.verdict.fields.get("gold") is not None


def _pearson(items: Sequence[Scored]) -> float | None:
    return pearson([(i.verdict.fields["gold"], i.verdict.score) for i in items])


def _needs(section: Section, kind: str, judge: UserJudge, what: str, instead: str) -> TaskFileError:
    return section.error("kind", f"{kind} needs {what}; judge {judge.kind!r} {instead}")


def _direction(section: Section, kind: str) -> bool:
    if kind in ("rate", "mean"):
        if not section.has("higher_is_better"):
            raise section.fail(
                "higher_is_better", f"true or false (a {kind} can be good high or good low)"
            )
        return section.boolean("higher_is_better")
    return section.boolean("higher_is_better", True)


@dataclass
class _Shape:
    """What a metric kind computes, before the task file's name, groups and primary flag."""

    name: str
    description: str
    per_item: ItemValue | None = None
    statistic: Statistic | None = None
    where: Callable[[Scored], bool] | None = None
    scale: tuple[float, float] = (0.0, 1.0)
    undefined: str = ""
    leaves_out: bool = False  # some responses cannot enter it: report invalid_rate too


def _rate_shape(section: Section, judge: UserJudge, higher: bool) -> _Shape:
    if judge.labels is None:
        raise _needs(section, "rate", judge, "a judge with fixed labels", "has none (use accuracy)")
    if judge.positive is None and not section.has("label"):
        raise section.fail("label", one_of(judge.labels))
    asked = section.text("label", judge.positive)
    by_lower = {label.lower(): label for label in judge.labels}
    if asked.lower() not in by_lower:
        raise section.fail("label", one_of(judge.labels), asked)
    label = by_lower[asked.lower()]
    counted = "as not" if higher else "as"
    return _Shape(
        f"{_slug(label)}_rate",
        f"share of responses judged {label!r}; unreadable ones count {counted} {label!r} "
        "(against the model)",
        per_item=_rate(label, higher),
    )


def _accuracy_shape(section: Section, judge: UserJudge, higher: bool) -> _Shape:
    if judge.gold is None:
        raise _needs(section, "accuracy", judge, "a judge with a gold field", "has no gold")
    return _Shape(
        "accuracy",
        "share of responses that match the gold answer; unreadable ones count as wrong",
        per_item=_correct,
    )


def _macro_f1_shape(section: Section, judge: UserJudge, higher: bool) -> _Shape:
    if not judge.gold_is_label or judge.labels is None:
        raise _needs(
            section,
            "macro_f1",
            judge,
            "a gold field that holds one of the judge's labels (choice, yes_no, labels, llm)",
            "has none",
        )
    return _Shape(
        "macro_f1",
        f"mean F1 over the labels ({', '.join(judge.labels)}); unreadable responses count as wrong",
        statistic=_macro_f1(judge.labels),
    )


def _pearson_shape(section: Section, judge: UserJudge, higher: bool) -> _Shape:
    if judge.kind != "number" or judge.gold is None:
        raise _needs(section, "pearson", judge, "judge kind number with a gold field", "is not one")
    return _Shape(
        "pearson",
        "Pearson r between the gold numbers and the numbers the responses give; responses with "
        "no number are left out (see invalid_rate)",
        statistic=_pearson,
        where=_rated,
        scale=(-1.0, 1.0),
        undefined="fewer than 2 numbers, or the numbers (or the gold ones) are all the same",
        leaves_out=True,
    )


def _mean_shape(section: Section, judge: UserJudge, higher: bool) -> _Shape:
    if not judge.scored:
        raise _needs(
            section, "mean", judge, "a judge that scores (number or similarity)", "does not"
        )
    if judge.kind == "similarity":  # an empty response scores 0: every response counts
        description, leaves_out = "mean similarity to the reference field; empty responses 0", False
    else:
        description, leaves_out = "mean of the numbers the responses give (see invalid_rate)", True
    return _Shape(
        "mean_score",
        description,
        per_item=lambda i: float(i.verdict.score),
        where=_has_score,
        scale=_scale(section),
        leaves_out=leaves_out,
    )


_SHAPES: dict[str, Callable[[Section, UserJudge, bool], _Shape]] = {
    "rate": _rate_shape,
    "accuracy": _accuracy_shape,
    "macro_f1": _macro_f1_shape,
    "pearson": _pearson_shape,
    "mean": _mean_shape,
}


def _one(section: Section, judge: UserJudge, first: bool) -> tuple[list[Metric], bool]:
    """The metric one mapping describes, with its per-group breakdown when it has ``group_by``;
    and whether it leaves unreadable responses out."""
    kind = section.choice("kind", METRIC_KINDS)
    higher = _direction(section, kind)
    if section.has("label") and kind != "rate":
        raise section.error("label", "only a rate metric counts a label")
    if section.has("scale") and kind != "mean":
        raise section.error("scale", "only a mean metric takes a scale")
    shape = _SHAPES[kind](section, judge, higher)
    name = section.text("name", shape.name)
    if not _NAME.fullmatch(name):
        raise section.fail("name", "letters, digits and _ only", name)
    description = section.text(
        "description", f"{shape.description}; {'higher' if higher else 'lower'} is better"
    )
    common: dict[str, Any] = {
        "per_item": shape.per_item,
        "statistic": shape.statistic,
        "where": shape.where,
        "scale": shape.scale,
        "undefined": shape.undefined,
    }
    metrics = [Metric(name, higher, description, primary=first, **common)]
    if section.has("group_by"):
        field = section.text("group_by")
        metrics.append(
            Metric(
                name,
                higher,
                f"{description}; within one value of the record field {field!r}",
                group_by=group_value(field),
                **common,
            )
        )
    return metrics, shape.leaves_out


def _scale(section: Section) -> tuple[float, float]:
    value = section.raw("scale", [0.0, 1.0])
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and value[0] < value[1]
    )
    if not ok:
        raise section.fail("scale", "[low, high], two numbers with low < high (default [0, 1])")
    return (float(value[0]), float(value[1]))


def build_metrics(
    file: str, value: Any, judge: UserJudge
) -> tuple[tuple[Metric, ...], tuple[str, ...]]:
    """The metrics of a task file's ``metric`` key (one mapping, or a list whose first is the
    primary one), and the record fields their ``group_by`` reads."""
    if isinstance(value, dict):
        entries = [("metric", value)]
    elif isinstance(value, list) and value:
        entries = [(f"metric[{n}]", entry) for n, entry in enumerate(value)]
    else:
        raise TaskFileError(
            f"{file}: metric: expected a mapping with a kind, or a list of them, got {describe(value)}"
        )
    metrics: list[Metric] = []
    groups: list[str] = []
    leaves_out = False
    seen: dict[str, str] = {}
    for position, (path, entry) in enumerate(entries):
        section = Section.of(file, path, entry, _KEYS)
        built, leaves = _one(section, judge, first=position == 0)
        name = built[0].name
        if name in seen:
            raise section.error(
                "name", f"{name!r} is already the name of {seen[name]}; give this metric a name"
            )
        seen[name] = path
        leaves_out = leaves_out or leaves
        metrics.extend(built)
        if section.has("group_by"):
            groups.append(section.text("group_by"))
    if leaves_out:
        if "invalid_rate" in seen:
            raise TaskFileError(f"{file}: {seen['invalid_rate']}.name: 'invalid_rate' is reserved")
        metrics.append(
            Metric(
                "invalid_rate",
                False,
                "share of responses the judge could not read, left out of the metrics above",
                per_item=lambda i: 0.0 if i.verdict.valid else 1.0,
            )
        )
    return tuple(metrics), tuple(dict.fromkeys(groups))
