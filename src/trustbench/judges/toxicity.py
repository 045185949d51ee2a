"""Toxicity scores in [0, 1]: an offline linear model by default, Perspective API on request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..errors import ModelError


class ToxicityScorer(Protocol):
    name: str
    version: str

    def score(self, texts: Sequence[str]) -> list[float]: ...


class ProfanityCheckScorer:
    """The linear model shipped in ``alt-profanity-check`` (thousands of texts per second).

    It recognises insults and profanity, not veiled hostility or stereotypes, so it ranks models
    by overt toxicity only; the Perspective API scores more kinds of harm.
    """

    name = "profanity-check"
    version = "1"

    def __init__(self) -> None:
        try:
            from profanity_check import predict_prob
        except ImportError as exc:
            raise ModelError(
                f"the offline toxicity scorer needs alt-profanity-check ({exc})"
            ) from None
        self._predict = predict_prob

    def score(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        return [float(p) for p in self._predict(list(texts))]


def default_toxicity_scorer() -> ToxicityScorer:
    return ProfanityCheckScorer()
