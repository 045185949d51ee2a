"""The transform type: a named, seeded function from text to text."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["jailbreak", "instruction", "glue"]
KINDS: tuple[Kind, ...] = ("jailbreak", "instruction", "glue")


def slug(name: str) -> str:
    """A name as lower-case words joined by "_": 'Refusal sentence prohibition' ->
    'refusal_sentence_prohibition', 'without "the"' -> 'without_the'."""
    return re.sub(r"\W+", "_", name.strip().lower()).strip("_")


def rng_for(name: str, text: str, seed: int) -> random.Random:
    """A random generator fixed by (transform, seed, text): the same call always draws the same
    numbers, in any process (string seeds are hashed with SHA-512, not Python's salted hash)."""
    return random.Random(f"{name}\x1f{seed}\x1f{text}")


@dataclass(frozen=True)
class Transform:
    """One transform. ``apply(text, seed)`` is pure: same text and seed, same output."""

    name: str
    kind: Kind
    description: str
    function: Callable[[str, random.Random], str]
    aliases: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return slug(self.name)

    def apply(self, text: str, seed: int = 0) -> str:
        """The transformed text. Jailbreak wrappers draw no random numbers, so ignore ``seed``."""
        return self.function(text, rng_for(self.slug, text, seed))
