"""AdvGLUE-style perturbations: small word- and character-level edits that keep a sentence's
label for a human reader but may flip a classifier's answer.

The number of edits grows with the text: one per ``WORDS_PER_EDIT`` words, at least one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ._base import Transform
from ._edits import (
    adjacent_key,
    drop_letter,
    edit_count,
    edit_words,
    insert_letter,
    swap_letters,
    swap_synonyms,
    word_spans,
)
from ._lexicon import DISTRACTORS

WORDS_PER_EDIT = 8


def synonym_swap(text: str, rng: random.Random) -> str:
    """Words found in the built-in synonym table replaced by a synonym."""
    return swap_synonyms(text, rng, edit_count(text, WORDS_PER_EDIT))


def distractor_insertion(text: str, rng: random.Random) -> str:
    """Filler words ("actually", "honestly", ...) inserted before some words (not the first,
    so the sentence keeps its opening)."""
    starts = [start for start, _ in word_spans(text)]
    places = starts[1:] or starts
    if not places:
        return text
    chosen = sorted(rng.sample(places, min(edit_count(text, WORDS_PER_EDIT), len(places))))
    out, last = [], 0
    for start in chosen:
        out.append(f"{text[last:start]}{rng.choice(DISTRACTORS)} ")
        last = start
    out.append(text[last:])
    return "".join(out)


def _letters(edit: Callable[[str, random.Random], str]) -> Callable[[str, random.Random], str]:
    def perturb(text: str, rng: random.Random) -> str:
        return edit_words(text, rng, edit_count(text, WORDS_PER_EDIT), edit)

    return perturb


GLUE_PERTURBATIONS: tuple[Transform, ...] = tuple(
    Transform(name, "glue", description, function)
    for name, description, function in (
        (
            "synonym_swap",
            "words replaced by synonyms from the built-in table (word level)",
            synonym_swap,
        ),
        (
            "distractor_insertion",
            "filler words such as 'actually' inserted between words (word level)",
            distractor_insertion,
        ),
        ("char_swap", "two neighbouring letters swapped in some words", _letters(swap_letters)),
        ("char_delete", "one letter deleted in some words", _letters(drop_letter)),
        ("char_insert", "one random letter inserted in some words", _letters(insert_letter)),
        (
            "char_substitute",
            "one letter replaced by a neighbouring keyboard key in some words",
            _letters(adjacent_key),
        ),
    )
)
