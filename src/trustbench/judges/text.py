"""Text normalization shared by the answer parsers."""

from __future__ import annotations

import re
import unicodedata

_MARKUP = re.compile(r"[*_`#>]+")
_SPACE = re.compile(r"\s+")


def normalize(text: str | None) -> str:
    """Plain text for parsing: Unicode NFKC, markdown emphasis removed, whitespace collapsed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKUP.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def is_blank(text: str | None) -> bool:
    return not normalize(text)
