"""metrics.py: macro-F1, compute_metrics (per item, statistic, groups, filters, CIs), group means."""

from __future__ import annotations

import pytest

from trustbench.metrics import (
    Metric,
    MetricValue,
    Scored,
    compute_metrics,
    macro_f1,
    mean_over_groups,
)
from trustbench.types import Verdict

S, R = "SUPPORT", "REFUTE"
LABELS = (S, R)


def scored(label, group="g", gold=None, valid=True, **record):
    verdict = Verdict(label, valid if label is not None else False, "test", "1")
    return Scored({"group": group, "gold": gold, **record}, f"response {label}", verdict)


def is_yes(item: Scored) -> float:
    return 1.0 if item.verdict.label == "yes" else 0.0


# macro_f1 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        # perfect
        ([S, R, S, R], [S, R, S, R], 1.0),
        # all wrong
        ([S, R], [R, S], 0.0),
        # SUPPORT: tp1 fp0 fn1 -> 2/3; REFUTE: tp2 fp1 fn0 -> 4/5; mean 11/15
        ([S, S, R, R], [S, R, R, R], 11 / 15),
        # invalid (None) is wrong: SUPPORT tp1 fn1 -> 2/3; REFUTE tp2 -> 1; mean 5/6 (not 1.0)
        ([S, S, R, R], [S, None, R, R], 5 / 6),
        # every SUPPORT unreadable: SUPPORT 0; REFUTE tp2 fp0 fn0 -> 1; mean 1/2
        ([S, S, R, R], [None, None, R, R], 0.5),
        # SUPPORT: tp2 fp1 fn1 -> 4/6; REFUTE: tp1 fp1 fn1 -> 2/4; mean 7/12
        ([S, S, S, R, R], [S, S, R, S, R], 7 / 12),
    ],
)
def test_macro_f1_hand_computed(y_true, y_pred, expected):
    assert macro_f1(y_true, y_pred, LABELS) == pytest.approx(expected)


def test_macro_f1_invalid_prediction_is_not_dropped():
    kept = [(t, p) for t, p in zip([S, S, R, R], [S, None, R, R], strict=True) if p is not None]
    dropped = macro_f1([t for t, _ in kept], [p for _, p in kept], LABELS)
    assert dropped == pytest.approx(1.0)
    assert macro_f1([S, S, R, R], [S, None, R, R], LABELS) < dropped


def test_macro_f1_prediction_outside_labels_is_wrong():
    assert macro_f1([S, R], [S, "MAYBE"], LABELS) == pytest.approx((1.0 + 0.0) / 2)


def test_macro_f1_lengths_must_match():
    with pytest.raises(ValueError):
        macro_f1([S, R], [S], LABELS)


# compute_metrics ------------------------------------------------------------------------------


def test_metric_needs_exactly_one_of_per_item_or_statistic():
    with pytest.raises(ValueError):
        Metric("m", True, "d")
    with pytest.raises(ValueError):
        Metric("m", True, "d", per_item=is_yes, statistic=lambda items: 0.0)


def test_per_item_metric_is_the_mean():
    items = [scored("yes"), scored("no"), scored("yes"), scored("yes")]
    result = compute_metrics([Metric("rate", True, "share of yes", per_item=is_yes)], items)
    assert set(result) == {"rate"}
    value = result["rate"]
    assert isinstance(value, MetricValue)
    assert value.value == pytest.approx(0.75)
    assert value.n == 4
    assert value.higher_is_better is True
    assert value.description == "share of yes"


def test_statistic_metric_sees_all_items():
    items = [
        scored(S, gold=S),
        scored(None, gold=S),
        scored(R, gold=R),
        scored(R, gold=R),
    ]

    def f1(batch):
        return macro_f1([i.record["gold"] for i in batch], [i.verdict.label for i in batch], LABELS)

    result = compute_metrics([Metric("f1", True, "macro-F1", statistic=f1)], items)
    assert result["f1"].value == pytest.approx(5 / 6, abs=1e-6)
    assert result["f1"].n == 4


def test_group_by_expands_into_named_metrics():
    items = [
        scored("yes", group="age"),
        scored("no", group="age"),
        scored("yes", group="gender"),
        scored("yes", group="gender"),
        scored("no", group="gender"),
        scored("no", group="race"),
    ]
    metrics = [
        Metric("rate", False, "overall", per_item=is_yes),
        Metric("rate", False, "per group", per_item=is_yes, group_by=lambda r: r["group"]),
    ]
    result = compute_metrics(metrics, items)
    assert set(result) == {"rate", "rate_age", "rate_gender", "rate_race"}
    assert result["rate"].value == pytest.approx(0.5)
    assert result["rate"].n == 6
    assert result["rate_age"].value == pytest.approx(0.5)
    assert result["rate_age"].n == 2
    assert result["rate_gender"].value == pytest.approx(2 / 3, abs=1e-6)
    assert result["rate_gender"].n == 3
    assert result["rate_race"].value == 0.0
    assert result["rate_race"].n == 1
    assert result["rate_gender"].description == "per group"
    assert result["rate_gender"].higher_is_better is False


def test_where_filters_items_and_n():
    items = [
        scored("yes", kind="low"),
        scored("no", kind="low"),
        scored("no", kind="low"),
        scored("yes", kind="high"),
        scored("yes", kind="high"),
    ]
    metrics = [
        Metric("low", True, "", per_item=is_yes, where=lambda s: s.record["kind"] == "low"),
        Metric("high", True, "", per_item=is_yes, where=lambda s: s.record["kind"] == "high"),
        Metric("none", True, "", per_item=is_yes, where=lambda s: s.record["kind"] == "other"),
    ]
    result = compute_metrics(metrics, items)
    assert result["low"].value == pytest.approx(1 / 3, abs=1e-6)
    assert result["low"].n == 3
    assert result["high"].value == 1.0
    assert result["high"].n == 2
    assert result["none"].value is None
    assert result["none"].n == 0
    assert result["none"].ci is None


def test_where_applies_before_group_by():
    items = [
        scored("yes", group="a", kind="keep"),
        scored("no", group="a", kind="drop"),
        scored("no", group="b", kind="drop"),
    ]
    metric = Metric(
        "m",
        True,
        "",
        per_item=is_yes,
        where=lambda s: s.record["kind"] == "keep",
        group_by=lambda r: r["group"],
    )
    result = compute_metrics([metric], items)
    assert set(result) == {"m_a"}
    assert result["m_a"].value == 1.0
    assert result["m_a"].n == 1


def test_statistic_returning_none_gives_no_value_and_no_ci():
    items = [scored("yes"), scored("no")]
    result = compute_metrics([Metric("m", True, "", statistic=lambda batch: None)], items)
    assert result["m"].value is None
    assert result["m"].ci is None
    assert result["m"].n == 2


# confidence intervals -------------------------------------------------------------------------

MIXED = [scored("yes" if i % 3 else "no", group="ab"[i % 2]) for i in range(30)]


METRICS = [
    Metric("rate", True, "", per_item=is_yes),
    Metric("share", True, "", statistic=lambda b: sum(is_yes(i) for i in b) / len(b)),
    Metric("rate", True, "", per_item=is_yes, group_by=lambda r: r["group"]),
]


@pytest.mark.parametrize("name", ["rate", "share", "rate_a", "rate_b"])
def test_ci_present_and_contains_the_value(name):
    value = compute_metrics(METRICS, MIXED)[name]
    assert value.ci is not None
    low, high = value.ci
    assert low < high  # the sample is not degenerate
    assert low <= value.value <= high
    assert low >= 0.0 and high <= 1.0


def test_ci_is_reproducible():
    first = compute_metrics(METRICS, MIXED)
    second = compute_metrics(METRICS, MIXED)
    assert {k: v.ci for k, v in first.items()} == {k: v.ci for k, v in second.items()}
    assert {k: v.value for k, v in first.items()} == {k: v.value for k, v in second.items()}


def test_ci_in_to_dict():
    value = compute_metrics(METRICS, MIXED)["rate"]
    data = value.to_dict()
    assert data["ci95"] == list(value.ci)
    assert data["value"] == value.value
    assert data["n"] == 30


def test_ci_degenerate_sample_collapses_to_the_value():
    items = [scored("yes") for _ in range(10)]
    value = compute_metrics([Metric("rate", True, "", per_item=is_yes)], items)["rate"]
    assert value.value == 1.0
    assert value.ci == (1.0, 1.0)


@pytest.mark.parametrize(
    "metric",
    [
        Metric("m", True, "", per_item=is_yes),
        Metric("m", True, "", statistic=lambda b: sum(is_yes(i) for i in b) / len(b)),
    ],
    ids=["per_item", "statistic"],
)
def test_ci_is_none_for_a_single_item(metric):
    value = compute_metrics([metric], [scored("yes")])["m"]
    assert value.value == 1.0
    assert value.n == 1
    assert value.ci is None
    assert value.to_dict()["ci95"] is None


def test_ci_is_none_for_a_single_item_group():
    metric = Metric("m", True, "", per_item=is_yes, group_by=lambda r: r["group"])
    result = compute_metrics([metric], [scored("yes", group="a"), scored("no", group="b")])
    assert result["m_a"].ci is None
    assert result["m_b"].ci is None


# mean_over_groups -----------------------------------------------------------------------------


def _rate_or_none(batch):
    """Share of yes among valid items; undefined (None) when a group has none valid."""
    valid = [i for i in batch if i.verdict.valid]
    return sum(is_yes(i) for i in valid) / len(valid) if valid else None


def test_mean_over_groups_is_the_unweighted_mean_of_group_values():
    items = [
        scored("yes", group="a"),
        scored("no", group="a"),
        scored("yes", group="b"),
        scored("yes", group="b"),
        scored("yes", group="b"),
        scored("no", group="b"),
    ]
    # a: 1/2, b: 3/4 -> 5/8 (pooled would be 4/6)
    assert mean_over_groups(items, lambda r: r["group"], _rate_or_none) == pytest.approx(5 / 8)


def test_mean_over_groups_skips_undefined_groups():
    items = [
        scored("yes", group="a"),
        scored("yes", group="a"),
        scored(None, group="b"),
        scored(None, group="b"),
        scored("no", group="c"),
    ]
    # b is undefined and skipped: (1 + 0) / 2, not (1 + 0 + 0) / 3
    assert mean_over_groups(items, lambda r: r["group"], _rate_or_none) == pytest.approx(0.5)


def test_mean_over_groups_all_undefined_is_none():
    items = [scored(None, group="a"), scored(None, group="b")]
    assert mean_over_groups(items, lambda r: r["group"], _rate_or_none) is None
    assert mean_over_groups([], lambda r: r["group"], _rate_or_none) is None


def test_macro_f1_leaves_out_labels_that_occur_nowhere():
    # one source with only SUPPORT items, all answered right: perfect, not 0.5
    assert macro_f1([S, S], [S, S], LABELS) == pytest.approx(1.0)
    # an invalid answer still counts against the gold label
    assert macro_f1([S, S], [S, None], LABELS) == pytest.approx(2 / 3)
