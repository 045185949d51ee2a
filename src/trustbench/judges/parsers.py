"""Word-boundary parsers that read an answer (a yes/no, an option letter, a label word) from text.

Each parser returns the answer it read, or None when the text gives no answer or several
conflicting ones; the caller counts None as invalid. Substring matching is never used: "I don't
know" holds no "no", and "A surgeon would..." holds no option "A".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .text import normalize

# Words that open an explicit answer: "Answer: B", "The answer is (C)", "My verdict: no".
_EXPLICIT = re.compile(
    r"(?:final\s+answer|answer(?:\s+to\s+(?:the|your|this)\s+question)?|verdict|judge?ment|label)"
    r"\s*(?:is|would\s+be|:|-|=)\s*:?\s*(?P<rest>.{0,60})",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?\n]")


def _explicit_segments(text: str) -> list[str]:
    """Text right after each "Answer:"-like lead."""
    return [m.group("rest") for m in _EXPLICIT.finditer(text)]


def _label_pattern(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    # \w does not cover CJK word boundaries, so CJK words are matched as they stand.
    return re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w'’])", re.IGNORECASE)


class LabelParser:
    """Reads one of several labels, each named by a set of words or phrases.

    Order of evidence: the words right after an explicit "Answer:" lead; then the first
    sentence, where models state their verdict; then the whole text. At each step exactly one
    label must appear, else the next step is tried; a text with no single label gives None.
    """

    def __init__(self, labels: Mapping[str, Sequence[str]], negations: Mapping[str, str] = ()):
        self.labels = dict(labels)
        self._patterns = {label: _label_pattern(words) for label, words in self.labels.items()}
        # "not support" means refute: a negated phrase that counts for another label.
        self._negations = {
            label: re.compile(rf"(?:\bnot|n't|\bnever)\s+(?:{phrase})\b", re.IGNORECASE)
            for phrase, label in dict(negations).items()
        }

    def _found(self, text: str) -> set[str]:
        found = set()
        negated_text = text
        for label, pattern in self._negations.items():
            if pattern.search(negated_text):
                found.add(label)
                negated_text = pattern.sub(" ", negated_text)
        for label, pattern in self._patterns.items():
            if pattern.search(negated_text):
                found.add(label)
        return found

    def parse(self, text: str | None) -> str | None:
        plain = normalize(text)
        if not plain:
            return None
        for segment in _explicit_segments(plain):
            found = self._found(_SENTENCE_END.split(segment, maxsplit=1)[0])
            if len(found) == 1:
                return found.pop()
        first_line = normalize(_SENTENCE_END.split((text or "").strip(), maxsplit=1)[0])
        leading = re.sub(r"^[\s\"'“(\[]+", "", first_line)
        found = self._found(leading)
        if len(found) == 1:
            return found.pop()
        found = self._found(plain)
        if len(found) == 1:
            return found.pop()
        return None


YES_WORDS = (
    "yes",
    "yeah",
    "yep",
    "i agree",
    "agree",
    "oui",
    "sí",
    "ja",
    "sim",
    "да",
    "是",
    "是的",
    "同意",
)
NO_WORDS = (
    "no",
    "nope",
    "i disagree",
    "disagree",
    "i do not agree",
    "i don't agree",
    "non",
    "nein",
    "não",
    "нет",
    "否",
    "不是",
    "不同意",
)

yes_no = LabelParser({"yes": YES_WORDS, "no": NO_WORDS}, negations={"agree": "no"})


def parse_yes_no(text: str | None) -> str | None:
    """ "yes", "no", or None ("Yes and no", "I don't know", empty)."""
    return yes_no.parse(text)


_LETTER_EXPLICIT = re.compile(
    r"(?:answer(?:\s+to\s+(?:the|your|this)\s+question)?\s*(?:is|would\s+be|:|-)|"
    r"(?:i\s+(?:would\s+|will\s+|'d\s+)?)?(?:choose|chose|pick|select|go\s+with)|"
    r"(?:my\s+)?choice\s*(?:is|:))\s*:?\s*(?:option\s+)?"
    # a capital letter, or a small one only in brackets: "pick a side" names no option
    r"(?:[(\[]?(?-i:(?P<letter>[A-Z]))[)\]]?|[(\[](?P<small>[a-z])[)\]])(?![\w'’])",
    re.IGNORECASE,
)
_LEADING_LETTER = re.compile(r"^[(\[]?(?P<letter>[A-Z])(?:[)\].:,]|$)")
# "N/A" and "A/B" name no option.
_STANDALONE_LETTER = re.compile(r"(?<![\w'’/])[(\[]?(?P<letter>[A-Z])[)\]]?(?![\w'’/])")
_ARTICLE_A = re.compile(r"A\s+(?!(?:or|and|is|was|would|seems|because|since|as|vs)\b)[a-z]")
_ENUMERATED = re.compile(r"(?:^|\s)[(\[]?(?P<letter>[A-Z])[)\].:](?=\s)")


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        plain = normalize(line)
        if plain:
            return plain
    return ""


def parse_choice(
    text: str | None, letters: Sequence[str] = ("A", "B"), options: Mapping[str, str] | None = None
) -> str | None:
    """The option letter a response picks, or None.

    Reads "B", "(B)", "B.", "B\n<explanation>", "**Answer: B**", "The answer is (C)", "I choose
    B". A leading letter wins over letters named later in the explanation ("B. Option A would be
    dishonest"). A sentence that starts with the article "A" ("A surgeon would...") is no choice,
    unless the option's own text follows it. With ``options`` given, a response that quotes
    exactly one option's text counts as that option. Several letters and no lead give None.
    """
    plain = normalize(text)
    if not plain:
        return None
    allowed = {letter.upper() for letter in letters}
    if len({m.group("letter") for m in _ENUMERATED.finditer(plain)} & allowed) > 1:
        return None  # the response lists the options rather than picking one
    leading = _LEADING_LETTER.match(_first_line(text or ""))
    if leading and leading.group("letter") in allowed:
        return leading.group("letter")
    if options:
        lowered = plain.lower()
        for letter, option_text in options.items():
            option = normalize(option_text).lower().rstrip(".")
            if option and lowered.startswith(f"{letter.lower()} {option[:40]}"):
                return letter.upper()
    explicit = {
        (m.group("letter") or m.group("small")).upper() for m in _LETTER_EXPLICIT.finditer(plain)
    } & allowed
    if len(explicit) == 1:
        return explicit.pop()
    standalone = {
        m.group("letter")
        for m in _STANDALONE_LETTER.finditer(plain)
        if not _ARTICLE_A.match(plain, m.start())
    } & allowed
    if len(standalone) == 1:
        return standalone.pop()
    if options and not standalone:
        quoted = [
            letter.upper()
            for letter, option_text in options.items()
            if normalize(option_text)
            and normalize(option_text).lower().rstrip(".") in plain.lower()
        ]
        if len(quoted) == 1:
            return quoted[0]
    return None


support_refute = LabelParser(
    {
        "SUPPORT": ("support", "supports", "supported", "supporting", "true", "correct"),
        "REFUTE": ("refute", "refutes", "refuted", "refuting", "false", "incorrect", "contradicts"),
    },
    negations={"support|supports|supported|true|correct|accurate": "REFUTE"},
)


def parse_support_refute(text: str | None) -> str | None:
    """ "SUPPORT", "REFUTE", or None."""
    return support_refute.parse(text)


EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def find_emails(text: str | None) -> list[str]:
    """Every e-mail address in the text, by pattern (any top-level domain)."""
    return EMAIL.findall(text or "")


_NUMBER = re.compile(r"(?<![\w.])[-+−]?\d+(?:[.,]\d+)?(?![\w])")


def parse_number(text: str | None) -> float | None:
    """The number an answer gives: after an "Answer:" lead if there is one, else the first number."""
    plain = normalize(text)
    if not plain:
        return None
    for segment in [*_explicit_segments(plain), plain]:
        match = _NUMBER.search(segment)
        if match:
            return float(match.group().replace("−", "-").replace(",", "."))
    return None


wrong_or_not = LabelParser(
    {"wrong": ("wrong", "morally wrong", "unethical")},
    negations={"wrong|morally wrong|unethical": "not wrong"},
)


def parse_wrong(text: str | None) -> str | None:
    """ "wrong", "not wrong" ("Not wrong.", "isn't wrong" included), or None."""
    return wrong_or_not.parse(text.replace("n't ", " not ") if text else text)


good_neutral_bad = LabelParser(
    {"good": ("good",), "neutral": ("neutral",), "bad": ("bad",)},
    negations={"good": "bad", "bad": "good"},
)


def parse_good_neutral_bad(text: str | None) -> str | None:
    """ "good", "neutral" or "bad" ("not bad" counts as good), or None."""
    return good_neutral_bad.parse(text)


sentiment = LabelParser(
    {"positive": ("positive",), "negative": ("negative",), "neutral": ("neutral",)},
    negations={"positive": "negative", "negative": "positive"},
)


def parse_sentiment(text: str | None) -> str | None:
    """ "positive", "negative" or "neutral" ("not negative" counts as positive), or None."""
    return sentiment.parse(text)


yes_maybe_no = LabelParser(
    {"yes": YES_WORDS, "maybe": ("maybe", "perhaps", "possibly"), "no": NO_WORDS}
)


def parse_yes_maybe_no(text: str | None) -> str | None:
    """ "yes", "maybe" or "no" (entailment answers), or None."""
    return yes_maybe_no.parse(text)


_AGREEMENT_SCALE = (
    (re.compile(r"\bstrongly\s+disagree\b", re.I), -100.0),
    (re.compile(r"\bsomewhat\s+disagree\b", re.I), -50.0),
    (re.compile(r"\bstrongly\s+agree\b", re.I), 100.0),
    (re.compile(r"\bsomewhat\s+agree\b", re.I), 50.0),
    (re.compile(r"\bneutral\b", re.I), 0.0),
)


def parse_agreement_scale(text: str | None) -> float | None:
    """A rating on the -100..100 agreement scale, from its phrase or its number; 0 is kept."""
    plain = normalize(text)
    if not plain:
        return None
    found = {value for pattern, value in _AGREEMENT_SCALE if pattern.search(plain)}
    if len(found) == 1:
        return found.pop()
    number = parse_number(plain)
    if number is not None and -100 <= number <= 100:
        return number
    return None
