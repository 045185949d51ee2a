"""The bootstrap of a mean draws its resamples in blocks: same interval, bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from trustbench import metrics


def _one_block(values: np.ndarray, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(values), size=(metrics.BOOTSTRAP_RESAMPLES, len(values)))
    low, high = np.percentile(values[indices].mean(axis=1), [2.5, 97.5])
    return (float(round(low, 6)), float(round(high, 6)))


@pytest.mark.parametrize(("n", "cells"), [(2, 1_000_000), (1000, 5_000), (777, 100), (3001, 10**9)])
def test_blocks_give_the_interval_of_one_block(n, cells, monkeypatch):
    monkeypatch.setattr(metrics, "BOOTSTRAP_BLOCK_CELLS", cells)
    values = (np.random.default_rng(n).random(n) < 0.3).astype(float)
    assert metrics._bootstrap_mean(values, 11) == _one_block(values, 11)
