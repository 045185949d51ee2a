"""The learned layer of the refusal judge: logistic regression over MiniLM sentence embeddings.

A response is embedded twice, its opening and its ending (a refusal may come after a long
preamble), and the two unit vectors are concatenated. The weights are trained by
``tools/train_refusal_layer.py`` on the training part of the labelled development set in
``judges/data/`` and shipped as ``judges/data/refusal_layer.npz``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .similarity import Embedder, default_embedder

WEIGHTS = Path(__file__).parent / "data" / "refusal_layer.npz"
WINDOW_CHARS = 600


def features(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    heads = embedder.embed([t[:WINDOW_CHARS] for t in texts])
    tails = embedder.embed([t[-WINDOW_CHARS:] for t in texts])
    return np.hstack([heads, tails])


class RefusalLayer:
    def __init__(
        self,
        coef: np.ndarray,
        intercept: float,
        version: str,
        embedder_factory: Callable[[], Embedder] = default_embedder,
    ):
        self.coef = coef
        self.intercept = intercept
        self.version = version
        self._embedder_factory = embedder_factory
        self._embedder: Embedder | None = None

    def refusal_probability(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        logits = features(self._embedder, texts) @ self.coef + self.intercept
        return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]

    def save(self, path: Path) -> None:
        np.savez(path, coef=self.coef, intercept=np.array([self.intercept]), version=self.version)

    @classmethod
    def load(cls, path: Path) -> RefusalLayer:
        data = np.load(path)
        return cls(data["coef"], float(data["intercept"][0]), str(data["version"]))


@lru_cache(maxsize=1)
def shipped_layer() -> RefusalLayer | None:
    return RefusalLayer.load(WEIGHTS) if WEIGHTS.is_file() else None


def train(
    texts: Sequence[str], refused: Sequence[bool], embedder: Embedder, version: str, c: float = 4.0
) -> RefusalLayer:
    """Fit the layer on labelled responses (scikit-learn's logistic regression, fixed seed)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, random_state=0)
    model.fit(features(embedder, texts), np.asarray(refused, dtype=int))
    return RefusalLayer(model.coef_[0].astype(np.float32), float(model.intercept_[0]), version)
