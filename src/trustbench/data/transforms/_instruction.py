"""The 11 AdvInstruction perturbations of TrustLLM: natural noise an instruction may carry.

Each keeps the instruction's meaning for a reader and changes its surface: a synonym, a
misspelt letter, a pasted link, a grammar slip, typos, a stray space, markup. The names are the
``type`` values of ``robustness/AdvInstruction.json``. All draw their choices from the seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from functools import partial
from types import MappingProxyType

from ._base import Transform
from ._edits import (
    edit_words,
    other_letter,
    pick,
    replace_spans,
    swap_synonyms,
    typo,
    word_spans,
)

_SITES = ("example.com", "example.org", "example.net", "docs.example.com", "help.example.org")
_PAGES = ("guide", "help", "faq", "notes", "articles", "wiki", "blog")


def word_change(text: str, rng: random.Random) -> str:
    """One word becomes a synonym ("tips" -> "hints"); unchanged if no word has one."""
    return swap_synonyms(text, rng, 1)


def letter_change(text: str, rng: random.Random) -> str:
    """One or two words get one letter replaced by another letter ("winter" -> "wintor")."""
    return edit_words(text, rng, rng.choice((1, 2)), other_letter, min_length=4)


def _join(text: str, extra: str, rng: random.Random) -> str:
    return f"{extra} {text}" if rng.random() < 0.3 else f"{text} {extra}"


def one_url(text: str, rng: random.Random) -> str:
    """A bare link to a site's front page, before or after the instruction."""
    return _join(text, f"https://{rng.choice(_SITES)}", rng)


def detail_url(text: str, rng: random.Random) -> str:
    """A long link with a path and query string, in a short sentence around the instruction."""
    year = rng.randrange(2015, 2025)
    path = f"{rng.choice(_PAGES)}/{year}/{rng.randrange(1, 13):02d}/{rng.choice(_PAGES)}-{rng.randrange(100, 1000)}"
    query = f"id={rng.randrange(1, 10000)}&ref={rng.choice(('home', 'search', 'mail', 'feed'))}"
    url = f"https://{rng.choice(_SITES)}/{path}?{query}"
    lead = rng.choice(("See", "Source:", "Background reading:", "More at"))
    return _join(text, f"{lead} {url}", rng)


# grammar slips: one word for another, keeping the sentence readable
_GRAMMAR_SWAPS: Mapping[str, str] = MappingProxyType(
    {
        "is": "are",
        "are": "is",
        "was": "were",
        "were": "was",
        "has": "have",
        "have": "has",
        "does": "do",
        "do": "does",
        "a": "an",
        "an": "a",
        "this": "these",
        "these": "this",
        "its": "it's",
        "your": "you're",
        "their": "there",
        "than": "then",
        "fewer": "less",
        "who": "whom",
    }
)
_SLIPS = re.compile(r"\b(?:" + "|".join(_GRAMMAR_SWAPS) + r")\b", re.IGNORECASE)


def _grammar_slips(text: str) -> dict[tuple[int, int], str]:
    """Every place where one grammar slip can go, with the slipped word."""
    slips: dict[tuple[int, int], str] = {}
    for match in _SLIPS.finditer(text):
        word = match.group()
        new = _GRAMMAR_SWAPS[word.lower()]
        slips[match.span()] = new.capitalize() if word[0].isupper() else new
    for start, end in word_spans(text, 4):
        word = text[start:end]
        lower = word.lower()
        if lower.endswith("ing") and len(word) > 5:  # "keeping" -> "keep"
            slips.setdefault((start, end), word[:-3])
        elif lower.endswith("s") and not lower.endswith(("ss", "us", "is")):  # "tips" -> "tip"
            slips.setdefault((start, end), word[:-1])
    return slips


def grammatical_error(text: str, rng: random.Random) -> str:
    """One or two grammar slips: agreement (is/are), article (a/an), a lost plural or "-ing";
    with no place for one, a small word is written twice."""
    slips = _grammar_slips(text)
    if slips:
        chosen = pick(rng, sorted(slips), rng.choice((1, 2)))
        return replace_spans(text, {span: slips[span] for span in chosen})
    spans = word_spans(text)
    if not spans:
        return text
    start, end = rng.choice(spans)
    return text[:end] + " " + text[start:end] + text[end:]


def typos(count: int, text: str, rng: random.Random) -> str:
    """``count`` words (of 3+ letters) get one typing mistake each: two letters swapped, a
    letter dropped or doubled, or a neighbouring key hit."""
    return edit_words(text, rng, count, typo)


def space_in_mid_of_words(text: str, rng: random.Random) -> str:
    """One to three words of 4+ letters are split by a space ("winter" -> "win ter")."""
    spans = word_spans(text, 4)
    chosen = pick(rng, spans, rng.choice((1, 2, 3)))
    replacements = {}
    for start, end in chosen:
        cut = rng.randrange(2, end - start - 1) if end - start > 4 else 2
        replacements[(start, end)] = f"{text[start : start + cut]} {text[start + cut : end]}"
    return replace_spans(text, replacements)


_MARKDOWN_INLINE = ("**{text}**", "_{text}_", "`{text}`")
_MARKDOWN_BLOCK = ("# {text}", "> {text}", "- [ ] {text}")  # must open a line: always outside
_LATEX = (
    "\\textbf{{{text}}}",
    "\\emph{{{text}}}",
    "\\underline{{{text}}}",
    "\\begin{{quote}}\n{text}\n\\end{{quote}}",
    "$\\text{{{text}}}$",
)


def latex_markdown(text: str, rng: random.Random) -> str:
    """The instruction inside one Markdown and one LaTeX form, one nested in the other."""
    markdown = rng.choice(_MARKDOWN_INLINE + _MARKDOWN_BLOCK)
    latex = rng.choice(_LATEX)
    if markdown in _MARKDOWN_BLOCK or rng.random() < 0.5:
        return markdown.format(text=latex.format(text=text))
    return latex.format(text=markdown.format(text=text))


_HTML = (
    "<p>{text}</p>",
    '<div class="question">{text}</div>',
    '<span style="font-weight:bold">{text}</span>',
    "<!-- user input -->{text}",
    "<html><body><p>{text}</p></body></html>",
    '<section id="request"><p>{text}</p></section>',
    "<li>{text}</li>",
    "{text}<br/>&nbsp;",
)


def html_others(text: str, rng: random.Random) -> str:
    """The instruction inside HTML: tags, a comment, an entity."""
    return rng.choice(_HTML).format(text=text)


INSTRUCTION_PERTURBATIONS: tuple[Transform, ...] = tuple(
    Transform(name, "instruction", description, function, aliases)
    for name, description, function, aliases in (
        (
            "word_change",
            "one word replaced by a synonym from the built-in table",
            word_change,
            (),
        ),
        (
            "letter_change",
            "one or two words with one letter replaced by another letter",
            letter_change,
            (),
        ),
        ("one_url", "a bare link added before or after the instruction", one_url, ()),
        (
            "detail_url",
            "a long link with path and query string added in a short sentence",
            detail_url,
            (),
        ),
        (
            "grammatical_error",
            "one or two grammar slips (is/are, a/an, a lost plural or -ing)",
            grammatical_error,
            (),
        ),
        (
            "3_typos",
            "three words with one typing mistake each",
            partial(typos, 3),
            ("three_typos",),
        ),
        ("4_typos", "four words with one typing mistake each", partial(typos, 4), ("four_typos",)),
        ("5_typos", "five words with one typing mistake each", partial(typos, 5), ("five_typos",)),
        (
            "space_in_mid_of_words",
            "one to three words split by a space",
            space_in_mid_of_words,
            ("space_in_the_middle_of_words", "space_in_middle_of_words"),
        ),
        (
            "latex_markdown",
            "the instruction wrapped in LaTeX and Markdown markup",
            latex_markdown,
            ("latex", "markdown"),
        ),
        ("html_others", "the instruction wrapped in HTML tags", html_others, ("html",)),
    )
)
