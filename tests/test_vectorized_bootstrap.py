"""Statistics with a vectorized bootstrap (GroupRatio, MacroF1) give the values and intervals of
their plain Python definitions: the same seeded resamples, each computed from counts with numpy.

The intervals are compared within 1e-9: the two paths add the same numbers in another order,
which can change the last bits of a float (never, in these cases, the rounded interval).
"""

from __future__ import annotations

import numpy as np
import pytest

from trustbench import metrics
from trustbench.metrics import (
    GroupRatio,
    MacroF1,
    Metric,
    Scored,
    compute_metrics,
    macro_f1,
    mean_over_groups,
)
from trustbench.suite import ethics, privacy, truthfulness
from trustbench.types import Verdict


def _items(n: int, seed: int, groups: int = 3, labels=("A", "B", "C")) -> list[Scored]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        label = [*labels, None, "junk"][rng.integers(0, len(labels) + 2)]
        gold = labels[rng.integers(0, len(labels))]
        flags = rng.random(4) < [0.4, 0.2, 0.5, 0.3]
        record = {"g": int(rng.integers(0, groups)), "gold": gold}
        verdict = Verdict(
            label,
            label is not None,
            "test",
            "1",
            fields={
                "a": bool(flags[0]),
                "b": bool(flags[1]),
                "c": bool(flags[2]),
                "read": label if flags[3] else None,
            },
        )
        out.append(Scored(record, "text", verdict))
    return out


def _plain(statistic):
    """The same statistic as a plain function: the bootstrap takes the Python loop."""
    return lambda items: statistic(items)


def _a(i):
    return i.verdict.fields["a"]


def _b(i):
    return i.verdict.fields["b"]


def _group(record):
    return record["g"]


def _share(test):
    return lambda items: sum(1 for i in items if test(i)) / len(items) if items else None


def _conditional(top, base, empty=None):
    def statistic(items):
        count = sum(1 for i in items if base(i))
        return sum(1 for i in items if top(i)) / count if count else empty

    return statistic


def _f1(gold, predicted, labels, keep=None):
    def statistic(items):
        kept = [i for i in items if keep(i)] if keep else items
        if keep and not kept:
            return None
        return macro_f1([gold(i) for i in kept], [predicted(i) for i in kept], labels)

    return statistic


def _gold(i):
    return i.record["gold"]


def _label(i):
    return i.verdict.label


def _read(i):
    return i.verdict.fields["read"]


CASES = {
    "share": (GroupRatio(_a), _share(_a)),
    "share over groups": (
        GroupRatio(_a, group=_group),
        lambda items: mean_over_groups(items, _group, _share(_a)),
    ),
    "conditional over groups": (
        GroupRatio(_a, _b, _group),
        lambda items: mean_over_groups(items, _group, _conditional(_a, _b)),
    ),
    "conditional, empty 0": (
        GroupRatio(_a, _b, _group, empty=0.0),
        lambda items: mean_over_groups(items, _group, _conditional(_a, _b, 0.0)),
    ),
    "macro-F1": (MacroF1(_gold, _label, ("A", "B", "C")), _f1(_gold, _label, ("A", "B", "C"))),
    "macro-F1 over groups": (
        MacroF1(_gold, _label, ("A", "B"), _group),
        lambda items: mean_over_groups(items, _group, _f1(_gold, _label, ("A", "B"))),
    ),
    "macro-F1 kept, over groups": (
        MacroF1(_gold, _read, ("A", "B", "C"), _group, keep=lambda i: _read(i) is not None),
        lambda items: mean_over_groups(
            items, _group, _f1(_gold, _read, ("A", "B", "C"), lambda i: _read(i) is not None)
        ),
    ),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(("n", "groups"), [(2, 1), (7, 3), (60, 4), (301, 8)])
def test_value_and_interval_match_the_python_definition(name, n, groups):
    fast, slow = CASES[name]
    items = _items(n, seed=n + groups, groups=groups)
    assert fast(items) == pytest.approx(slow(items), abs=1e-12)
    quick = metrics._bootstrap_statistic(items, fast, 77)
    plain = metrics._bootstrap_statistic(items, _plain(slow), 77)
    if plain is None:
        assert quick is None
    else:
        assert quick == pytest.approx(plain, abs=1e-9)


@pytest.mark.parametrize("cells", [50, 1_000, 10**9])
def test_blocks_do_not_change_the_interval(cells, monkeypatch):
    items = _items(203, seed=3, groups=5)
    statistic = GroupRatio(_a, _b, _group)
    expected = metrics._bootstrap_statistic(items, _plain(statistic), 5)
    monkeypatch.setattr(metrics, "BOOTSTRAP_BLOCK_CELLS", cells)
    assert metrics._bootstrap_statistic(items, statistic, 5) == pytest.approx(expected, abs=1e-9)


def test_undefined_everywhere_gives_no_value_and_no_interval():
    items = _items(40, seed=1)
    never = GroupRatio(_a, lambda i: False, _group)
    assert never(items) is None
    assert metrics._bootstrap_statistic(items, never, 1) is None
    [value] = compute_metrics([Metric("x", True, "", statistic=never)], items).values()
    assert value.value is None and value.ci is None


def test_metric_results_equal_with_the_plain_definition():
    items = _items(500, seed=9, groups=6)
    fast = Metric("m", True, "", statistic=GroupRatio(_a, _b, _group, empty=0.0), primary=True)
    slow = Metric("m", True, "", statistic=_plain(fast.statistic), primary=True)
    assert compute_metrics([fast], items)["m"] == compute_metrics([slow], items)["m"]


# The suite's statistics that now have a vectorized bootstrap equal their former definitions.


def _leakage_items(n: int) -> list[Scored]:
    rng = np.random.default_rng(n)
    out = []
    for _ in range(n):
        label = ["target", "other", "none"][rng.integers(0, 3)]
        record = {
            "shotType": ["zero", "five"][rng.integers(0, 2)],
            "type": "ABCD"[rng.integers(0, 4)],
        }
        fields = {
            "trustllm_has_email": bool(rng.random() < 0.5),
            "trustllm_has_target": bool(rng.random() < 0.2),
        }
        out.append(Scored(record, "x", Verdict(label, rng.random() < 0.9, "t", "1", fields=fields)))
    return out


def test_privacy_leakage_statistics_equal_their_definitions():
    items = _leakage_items(400)
    over = lambda s: lambda batch: mean_over_groups(batch, privacy._group, s)  # noqa: E731
    former = {
        "rta": over(privacy._share(privacy._no_email)),
        "td": over(privacy._share(privacy._target)),
        "cd": over(privacy._conditional(privacy._target, privacy._any_email)),
        "rta_trustllm": over(privacy._share(privacy._ref_no_email)),
        "td_trustllm": over(privacy._share(privacy._ref_target)),
        "cd_trustllm": over(privacy._reference_cd),
    }
    for metric in privacy.LEAKAGE.metrics:
        slow = former[metric.name]
        assert metric.statistic(items) == pytest.approx(slow(items), abs=1e-12), metric.name
        assert metrics._bootstrap_statistic(items, metric.statistic, 3) == pytest.approx(
            metrics._bootstrap_statistic(items, slow, 3), abs=1e-9
        ), metric.name


def test_external_macro_f1_statistics_equal_their_definitions():
    rng = np.random.default_rng(4)
    items = []
    for _ in range(300):
        labels = ["SUPPORT", "REFUTE", None]
        fields = {"trustllm_label": labels[rng.integers(0, 3)]}
        record = {"answer": labels[rng.integers(0, 2)], "source": "xyz"[rng.integers(0, 3)]}
        label = labels[rng.integers(0, 3)]
        items.append(
            Scored(record, "x", Verdict(label, label is not None, "t", "1", fields=fields))
        )
    pairs = [
        (truthfulness._SOURCE_F1, truthfulness._source_f1),
        (
            truthfulness._SOURCE_F1_OVER_SOURCES,
            lambda b: mean_over_groups(b, truthfulness._by_source, truthfulness._source_f1),
        ),
        (
            truthfulness._SOURCE_F1_TRUSTLLM_OVER_SOURCES,
            lambda b: mean_over_groups(
                b, truthfulness._by_source, truthfulness._source_f1_trustllm
            ),
        ),
    ]
    for fast, slow in pairs:
        assert fast(items) == pytest.approx(slow(items), abs=1e-12)
        assert metrics._bootstrap_statistic(items, fast, 8) == pytest.approx(
            metrics._bootstrap_statistic(items, slow, 8), abs=1e-9
        )


def test_balanced_accuracies_equal_their_definitions():
    rng = np.random.default_rng(6)
    ethics_items = []
    for _ in range(200):
        fields = {"correct": bool(rng.random() < 0.6)}
        gold = ["wrong", "not wrong", "other"][rng.integers(0, 3)]
        ethics_items.append(
            Scored({"label": gold}, "x", Verdict("a", True, "t", "1", fields=fields))
        )
    assert ethics._ETHICS_BALANCED(ethics_items) == pytest.approx(
        ethics._ethics_balanced(ethics_items), abs=1e-12
    )
    assert metrics._bootstrap_statistic(ethics_items, ethics._ETHICS_BALANCED, 2) == (
        pytest.approx(metrics._bootstrap_statistic(ethics_items, ethics._ethics_balanced, 2))
    )
