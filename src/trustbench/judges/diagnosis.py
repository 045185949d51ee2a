"""Reading a diagnosis from a free-text answer, against the candidate list the prompt gives.

DDXPlus prompts (OOD generalization) list the diagnoses the model may choose from. A response is
read by whole-word matching of those candidates on normalized text (case, accents, hyphens and
slashes do not matter): first in the words after a concluding phrase ("the most likely diagnosis
is ..."), then in the whole response. Exactly one candidate must be named; a candidate inside a
longer one ("angina" in "unstable angina") or right after "not"/"no" does not count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# The reference's concluding phrases, in its order.
CONCLUDING_PHRASES = (
    "diagnosis is",
    "most likely",
    "most consistent",
    "diagnosis for this patient is",
    "most appropriate diagnosis",
)

_LIST_LEAD = re.compile(
    r"(?:options|choices|candidates|candidate diagnoses|possible diagnoses|"
    r"following (?:diagnoses|diseases|conditions|pathologies|list|options))"
    r"[^:\n]{0,40}:\s*",
    re.IGNORECASE,
)
_LIST_END = re.compile(r"(?<![\d\n])\.\s+(?=[A-Z])|\n\s*\n|\.\s*$|\]")
_SEPARATORS = re.compile(r"[,;\n]")
_BULLET = re.compile(r"^\s*(?:[-*•]|\(?\d+[.)])\s*")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_NEGATED = re.compile(r"(?:\bnot|\bno|\bisn t|\bunlikely to be)\s+(?:an?\s+|the\s+)?$")
_CLAUSE_END = re.compile(r"[.,\n]")


def normalize_diagnosis(text: str | None) -> str:
    """Lowercase ASCII words separated by single spaces: "Guillain-Barré" -> "guillain barre"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", plain).strip()


def ddx_candidates(prompt: str, label: str | None = None) -> list[str]:
    """The diagnoses a prompt lists after "options:"-like lead (the gold label always included).

    Reads comma, semicolon, newline or numbered lists, with or without brackets and quotes.
    """
    found: list[str] = []
    leads = list(_LIST_LEAD.finditer(prompt or ""))
    if leads:
        rest = prompt[leads[-1].end() :]
        end = _LIST_END.search(rest)
        block = rest[: end.start()] if end else rest
        for part in _SEPARATORS.split(block):
            name = _BULLET.sub("", part).strip().strip("[]'\"“”‘’").strip()
            if normalize_diagnosis(name) and name not in found:
                found.append(name)
    if label and normalize_diagnosis(label) not in {normalize_diagnosis(c) for c in found}:
        found.append(label)
    return found


def _mentions(text: str, candidates: Sequence[str]) -> set[str]:
    """Candidates named in ``text`` (normalized), longest match first, negated ones skipped."""
    plain = normalize_diagnosis(text)
    spans: list[tuple[int, int, str]] = []
    for candidate in candidates:
        name = normalize_diagnosis(candidate)
        if not name:
            continue
        for match in re.finditer(rf"(?<![0-9a-z]){re.escape(name)}(?![0-9a-z])", plain):
            spans.append((match.start(), match.end(), candidate))
    spans.sort(key=lambda s: (s[0] - s[1], s[0]))
    taken: list[tuple[int, int]] = []
    named: set[str] = set()
    for start, end, candidate in spans:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        if not _NEGATED.search(plain[:start]):
            named.add(candidate)
    return named


def parse_diagnosis(text: str | None, candidates: Sequence[str]) -> tuple[str | None, str]:
    """The one candidate a response names, and how it was found ("phrase" or "candidates").

    Returns (None, "unreadable") when no single candidate is named.
    """
    if not text or not text.strip():
        return None, "unreadable"
    lowered = text.lower()
    for phrase in CONCLUDING_PHRASES:
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", lowered):
            clause = _CLAUSE_END.split(text[match.end() :], maxsplit=1)[0]
            named = _mentions(clause, candidates)
            if len(named) == 1:
                return named.pop(), "phrase"
    named = _mentions(text, candidates)
    if len(named) == 1:
        return named.pop(), "candidates"
    return None, "unreadable"


def same_diagnosis(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and normalize_diagnosis(a) == normalize_diagnosis(b)
