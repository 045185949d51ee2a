"""Seeded edits of words and letters, shared by the instruction and GLUE perturbations.

Words are runs of ASCII letters; every edit replaces spans of the text
in place, so spacing and punctuation around the edited words stay as they were.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from ._lexicon import KEYBOARD_NEIGHBOURS, SYNONYMS

_WORD = re.compile(r"[A-Za-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

Span = tuple[int, int]


def word_spans(text: str, min_length: int = 1) -> list[Span]:
    """(start, end) of each word with at least ``min_length`` letters."""
    return [m.span() for m in _WORD.finditer(text) if m.end() - m.start() >= min_length]


def replace_spans(text: str, replacements: dict[Span, str]) -> str:
    """``text`` with each (start, end) span replaced; spans must not overlap."""
    out, last = [], 0
    for (start, end), new in sorted(replacements.items()):
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def match_case(model: str, word: str) -> str:
    """``word`` written in the case pattern of ``model`` (lower, Capitalised or UPPER)."""
    if len(model) > 1 and model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def pick(rng: random.Random, items: Sequence, count: int) -> list:
    """``count`` distinct items in text order (all of them if there are fewer)."""
    chosen = rng.sample(range(len(items)), min(count, len(items)))
    return [items[i] for i in sorted(chosen)]


def edit_count(text: str, per_words: int) -> int:
    """One edit for every ``per_words`` words, at least one."""
    return max(1, len(word_spans(text)) // per_words)


# letter edits: each takes a word and returns a different word ----------------------------------


def _same_case(old: str, new: str) -> str:
    return new.upper() if old.isupper() else new


def swap_letters(word: str, rng: random.Random) -> str:
    """Two neighbouring, different letters trade places ("form" -> "from")."""
    places = [i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()]
    if not places:
        return double_letter(word, rng)
    i = rng.choice(places)
    pair = word[i + 1] + word[i]
    if word[i].isupper() != word[i + 1].isupper():  # "Give" -> "Igve", not "iGve"
        pair = pair[0].upper() + pair[1].lower() if word[i].isupper() else pair.lower()
    return word[:i] + pair + word[i + 2 :]


def drop_letter(word: str, rng: random.Random) -> str:
    """One letter is left out ("keeping" -> "keepng"); never the first."""
    i = rng.randrange(1, len(word)) if len(word) > 1 else 0
    return word[:i] + word[i + 1 :]


def double_letter(word: str, rng: random.Random) -> str:
    """One letter is typed twice ("winter" -> "wintter")."""
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1 :]


def insert_letter(word: str, rng: random.Random) -> str:
    """A random letter appears inside the word."""
    i = rng.randrange(1, len(word) + 1)
    return word[:i] + _same_case(word[i - 1], rng.choice(_LETTERS)) + word[i:]


def adjacent_key(word: str, rng: random.Random) -> str:
    """One letter becomes a key next to it on a QWERTY keyboard ("tips" -> "tipa")."""
    i = rng.randrange(len(word))
    old = word[i]
    new = rng.choice(KEYBOARD_NEIGHBOURS[old.lower()])
    return word[:i] + _same_case(old, new) + word[i + 1 :]


def other_letter(word: str, rng: random.Random) -> str:
    """One letter becomes a different letter of the alphabet ("tips" -> "tibs")."""
    i = rng.randrange(len(word))
    old = word[i]
    new = rng.choice([c for c in _LETTERS if c != old.lower()])
    return word[:i] + _same_case(old, new) + word[i + 1 :]


TYPOS: tuple[Callable[[str, random.Random], str], ...] = (
    swap_letters,
    drop_letter,
    double_letter,
    adjacent_key,
)


def typo(word: str, rng: random.Random) -> str:
    """One typing mistake of a random kind."""
    return rng.choice(TYPOS)(word, rng)


def edit_words(
    text: str,
    rng: random.Random,
    count: int,
    edit: Callable[[str, random.Random], str],
    min_length: int = 3,
) -> str:
    """Apply ``edit`` to ``count`` distinct words of at least ``min_length`` letters. With fewer
    such words than ``count``, the remaining edits go to already edited words again."""
    spans = word_spans(text, min_length) or word_spans(text)
    if not spans:
        return text
    words = {span: text[span[0] : span[1]] for span in spans}
    chosen = pick(rng, spans, count)
    for i in range(count):
        span = chosen[i % len(chosen)]
        words[span] = edit(words[span], rng)
    return replace_spans(text, {span: words[span] for span in chosen})


# word edits ------------------------------------------------------------------------------------


def synonym_spans(text: str) -> list[Span]:
    return [span for span in word_spans(text) if text[span[0] : span[1]].lower() in SYNONYMS]


def swap_synonyms(text: str, rng: random.Random, count: int) -> str:
    """Replace ``count`` words found in the synonym table by one of their synonyms. Text with no
    such word is returned as it is."""
    chosen = pick(rng, synonym_spans(text), count)
    replacements = {}
    for start, end in chosen:
        word = text[start:end]
        replacements[(start, end)] = match_case(word, rng.choice(SYNONYMS[word.lower()]))
    return replace_spans(text, replacements)
