"""Short answers to open questions, read against gold answers: exact match and token F1.

The offline stand-in for the reference's GPT-4 "is this answer correct?" judge on closed-book QA.
Answers are normalized as in the SQuAD evaluation script (lower case, no punctuation, no
articles, single spaces). A response is compared as a whole, and also by the parts of it that
state the answer: the words after an "Answer:"-like lead, its first line and its first sentence,
so that "Since the 1960s. It began when..." still matches "since the 1960s".
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .text import normalize

F1_THRESHOLD = 0.5

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | set("‘’“”–—…«»¿¡")
_LEAD = re.compile(
    r"(?:final\s+answer|(?:the\s+)?answer(?:\s+to\s+(?:the|your|this)\s+question)?)"
    r"\s*(?:is|would\s+be|:|-|=)\s*:?\s*(?P<rest>[^\n]{1,200})",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower case, punctuation and articles removed, spaces collapsed."""
    text = normalize(text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    """F1 of the normalized tokens of a prediction against one gold answer."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def answer_candidates(response: str) -> list[str]:
    """The spans of a response that may state its answer, most specific first."""
    text = (response or "").strip()
    if not text:
        return []
    spans = [m.group("rest") for m in _LEAD.finditer(text)]
    spans = [_SENTENCE.split(s.strip(), maxsplit=1)[0] for s in spans]
    first_line = text.splitlines()[0]
    first_sentence = _SENTENCE.split(text, maxsplit=1)[0]
    seen: dict[str, None] = {}
    for span in (*spans, first_sentence, first_line, text):
        if normalize_answer(span):
            seen.setdefault(span.strip(), None)
    return list(seen)


@dataclass(frozen=True)
class QAMatch:
    """How well a response matches the gold answers."""

    correct: bool
    exact: bool
    f1: float
    layer: str  # "exact", "token-f1" (at or above the threshold), "no-match" or "empty"


def gold_answers(answer: str | int | Sequence[str] | None) -> list[str]:
    """The gold answers of a record, as a list of non-empty strings."""
    if answer is None:
        return []
    values: Iterable = [answer] if isinstance(answer, (str, int)) else answer
    return [str(v) for v in values if normalize_answer(str(v))]


def match_answer(response: str | None, golds: Sequence[str]) -> QAMatch:
    """Correct when some span of the response equals a gold answer once normalized, or reaches a
    token F1 of at least 0.5 with one."""
    candidates = answer_candidates(response or "")
    if not candidates:
        return QAMatch(False, False, 0.0, "empty")
    normalized_golds = {normalize_answer(g) for g in golds}
    if any(normalize_answer(c) in normalized_golds for c in candidates):
        return QAMatch(True, True, 1.0, "exact")
    best = max((token_f1(c, g) for c in candidates for g in golds), default=0.0)
    if best >= F1_THRESHOLD:
        return QAMatch(True, False, best, "token-f1")
    return QAMatch(False, False, best, "no-match")
