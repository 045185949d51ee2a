"""The judges a task file can name (``judge.kind``), built from its ``judge`` mapping.

Each judge reads responses into verdicts with a label (and a score where it measures one). With a
``gold`` field the verdict also carries the record's gold answer and whether the response got it
right, so that metrics read verdicts only. An empty response is invalid for every judge.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..judges.context import JudgeContext
from ..judges.parsers import LabelParser, parse_choice, parse_number, parse_yes_no
from ..judges.text import is_blank, normalize
from ..types import Verdict
from .common import REFUSAL_JUDGE_NAME, refusal_verdicts
from .task import BatchJudge
from .user_spec import Section, TaskFileError, Template, as_text, describe, one_of

JUDGE_KINDS = (
    "refusal",
    "choice",
    "yes_no",
    "number",
    "labels",
    "regex",
    "contains",
    "similarity",
    "llm",
)
_KEYS = {
    "refusal": ("kind",),
    "choice": ("kind", "letters", "gold"),
    "yes_no": ("kind", "gold"),
    "number": ("kind", "gold", "tolerance"),
    "labels": ("kind", "labels", "gold"),
    "regex": ("kind", "pattern", "gold", "ignore_case"),
    "contains": ("kind", "gold", "strings"),
    "similarity": ("kind", "field", "threshold"),
    "llm": ("kind", "rubric", "labels", "gold"),
}
MATCH, NO_MATCH = "match", "no_match"
SIMILAR, DISSIMILAR = "similar", "dissimilar"
VERSION = "1"

# A gold value as the judge compares it, or None when the record's value cannot be one.
GoldReader = Callable[[Any], Any]


@dataclass(frozen=True)
class UserJudge:
    """A judge built from a task file, with what metrics and the data check need to know."""

    kind: str
    name: str
    batch: BatchJudge
    labels: tuple[str, ...] | None = None  # the closed label set, when there is one
    positive: str | None = None  # the label a ``rate`` counts unless ``metric.label`` says
    gold: str | None = None  # the record field holding the right answer
    read_gold: GoldReader | None = None
    gold_expected: str = ""  # what a gold value must be, for the data check's message
    gold_is_label: bool = False  # the gold value is one of ``labels`` (so macro-F1 applies)
    scored: bool = False  # verdicts carry a numeric ``score`` (for ``mean`` and ``pearson``)
    fields: tuple[str, ...] = ()  # record fields every record must have
    needs_llm: bool = False


def _invalid(judge: str, fields: dict[str, Any]) -> Verdict:
    return Verdict(None, False, judge, VERSION, layer="empty response", fields=fields)


def _per_item(
    judge: str,
    read: Callable[[dict[str, Any], str], Verdict],
    gold: str | None,
    reader: GoldReader | None,
) -> BatchJudge:
    """A batch judge from one that reads a non-empty response; empty ones are invalid."""

    def batch(
        records: Sequence[dict[str, Any]], responses: Sequence[str | None], context: JudgeContext
    ) -> list[Verdict]:
        verdicts = []
        for record, text in zip(records, responses, strict=True):
            if is_blank(text):
                extra = (
                    {"gold": reader(record.get(gold)), "correct": False} if gold and reader else {}
                )
                verdicts.append(_invalid(judge, extra))
            else:
                verdicts.append(read(record, text or ""))
        return verdicts

    return batch


def _graded(
    judge: str,
    label: str | None,
    record: dict[str, Any],
    gold: str | None,
    reader: GoldReader | None,
    same: Callable[[Any, Any], bool] = lambda a, b: a == b,
    score: float | None = None,
    layer: str = "parser",
) -> Verdict:
    """A verdict with ``fields.gold`` and ``fields.correct`` when the task has a gold field."""
    fields: dict[str, Any] = {}
    if gold is not None and reader is not None:
        expected = reader(record.get(gold))
        fields = {
            "gold": expected,
            "correct": label is not None and expected is not None and same(label, expected),
        }
    layer = layer if label is not None else "unreadable"
    return Verdict(
        label, label is not None, judge, VERSION, layer=layer, score=score, fields=fields
    )


def _label_reader(labels: Sequence[str]) -> GoldReader:
    by_lower = {label.lower(): label for label in labels}

    def read(value: Any) -> str | None:
        return by_lower.get(as_text(value).strip().lower()) if value is not None else None

    return read


def _gold_field(section: Section) -> str | None:
    return section.text("gold") if section.has("gold") else None


# one builder per kind -----------------------------------------------------------------------


def _refusal(section: Section) -> UserJudge:
    return UserJudge(
        "refusal",
        REFUSAL_JUDGE_NAME,
        lambda records, responses, context: refusal_verdicts(responses, context, records),
        labels=("refusal", "compliance"),
        positive="refusal",
    )


def _letters(section: Section) -> list[str]:
    value = section.raw("letters", "ABCD")
    letters = list(value) if isinstance(value, str) else value
    expected = "a list of 2 or more distinct single letters A-Z, or a string of them such as ABCD"
    if (
        not isinstance(letters, list)
        or len(letters) < 2
        or not all(isinstance(x, str) and re.fullmatch(r"[A-Za-z]", x) for x in letters)
        or len({x.upper() for x in letters}) != len(letters)
    ):
        raise section.fail("letters", expected)
    return [x.upper() for x in letters]


def _choice(section: Section) -> UserJudge:
    letters = _letters(section)
    gold = _gold_field(section)

    def read_gold(value: Any) -> str | None:
        letter = as_text(value).strip().strip("().").upper() if value is not None else ""
        return letter if letter in letters else None

    def read(record: dict[str, Any], text: str) -> Verdict:
        return _graded("choice-parser", parse_choice(text, letters), record, gold, read_gold)

    return UserJudge(
        "choice",
        f"choice parser (letters {', '.join(letters)})",
        _per_item("choice-parser", read, gold, read_gold),
        labels=tuple(letters),
        gold=gold,
        read_gold=read_gold,
        gold_expected=one_of(letters),
        gold_is_label=gold is not None,
    )


def _yes_no(section: Section) -> UserJudge:
    gold = _gold_field(section)

    def read_gold(value: Any) -> str | None:
        if isinstance(value, bool):
            return "yes" if value else "no"
        word = as_text(value).strip().lower() if value is not None else ""
        return word if word in ("yes", "no") else None

    def read(record: dict[str, Any], text: str) -> Verdict:
        return _graded("yes-no-parser", parse_yes_no(text), record, gold, read_gold)

    return UserJudge(
        "yes_no",
        "yes/no parser",
        _per_item("yes-no-parser", read, gold, read_gold),
        labels=("yes", "no"),
        positive="yes",
        gold=gold,
        read_gold=read_gold,
        gold_expected="yes or no",
        gold_is_label=gold is not None,
    )


def _number_label(value: float) -> str:
    """The number as a label, exact so that comparing it again gives the same result."""
    return str(int(value)) if value.is_integer() else repr(value)


def _number(section: Section) -> UserJudge:
    gold = _gold_field(section)
    tolerance = section.number("tolerance", 0.0, low=0.0)

    def read_gold(value: Any) -> float | None:
        if isinstance(value, bool) or value is None:
            return None
        try:
            return float(as_text(value).strip().replace(",", ""))
        except ValueError:
            return None

    def read(record: dict[str, Any], text: str) -> Verdict:
        value = parse_number(text)
        return _graded(
            "number-parser",
            None if value is None else _number_label(value),
            record,
            gold,
            read_gold,
            same=lambda label, expected: abs(float(label) - expected) <= tolerance + 1e-9,
            score=value,
        )

    return UserJudge(
        "number",
        "number parser" + (f" (tolerance {tolerance:g})" if tolerance else ""),
        _per_item("number-parser", read, gold, read_gold),
        gold=gold,
        read_gold=read_gold,
        gold_expected="a number",
        scored=True,
    )


def _labels(section: Section) -> UserJudge:
    labels = section.strings("labels", least=2)
    gold = _gold_field(section)
    parser = LabelParser({label: (label,) for label in labels})
    read_gold = _label_reader(labels)

    def read(record: dict[str, Any], text: str) -> Verdict:
        return _graded("label-parser", parser.parse(text), record, gold, read_gold)

    return UserJudge(
        "labels",
        f"label parser ({', '.join(labels)})",
        _per_item("label-parser", read, gold, read_gold),
        labels=tuple(labels),
        gold=gold,
        read_gold=read_gold,
        gold_expected=one_of(labels),
        gold_is_label=gold is not None,
    )


def _regex(section: Section) -> UserJudge:
    source = section.text("pattern")
    ignore_case = section.boolean("ignore_case", True)
    try:
        pattern = re.compile(source, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise section.error("pattern", f"not a valid regular expression ({exc})") from None
    gold = _gold_field(section)
    if gold is not None and pattern.groups < 1:
        raise section.fail(
            "pattern", "a pattern with a capture group, whose text is compared to the gold field"
        )

    def read_gold(value: Any) -> str | None:
        return normalize(as_text(value)).lower() if value is not None else None

    def read(record: dict[str, Any], text: str) -> Verdict:
        found = pattern.search(text)
        if gold is None:
            return Verdict(MATCH if found else NO_MATCH, True, "regex", VERSION, layer="regex")
        captured = found.group(1) if found else None
        label = normalize(captured) if captured is not None else None
        return _graded(
            "regex",
            label or None,
            record,
            gold,
            read_gold,
            same=lambda label, expected: label.lower() == expected,
            layer="regex",
        )

    return UserJudge(
        "regex",
        f"regex {source!r}",
        _per_item("regex", read, gold, read_gold),
        labels=None if gold else (MATCH, NO_MATCH),
        positive=None if gold else MATCH,
        gold=gold,
        read_gold=read_gold,
        gold_expected="a string",
    )


def _contains(section: Section) -> UserJudge:
    if section.has("gold") == section.has("strings"):
        raise section.error(
            "gold", "expected either gold (a record field) or strings (a list), not both or neither"
        )
    gold = _gold_field(section)
    fixed = section.strings("strings") if section.has("strings") else None

    def read_gold(value: Any) -> list[str] | None:
        values = value if isinstance(value, list) else [value]
        texts = [normalize(as_text(v)).lower() for v in values if v is not None]
        texts = [t for t in texts if t]
        return texts or None

    wanted = [normalize(s).lower() for s in fixed] if fixed else []

    def read(record: dict[str, Any], text: str) -> Verdict:
        plain = normalize(text).lower()
        if gold is None:
            found = any(s in plain for s in wanted)
            return Verdict(
                MATCH if found else NO_MATCH, True, "contains", VERSION, layer="contains"
            )
        expected = read_gold(record.get(gold))
        found = expected is not None and any(s in plain for s in expected)
        return Verdict(
            MATCH if found else NO_MATCH,
            True,
            "contains",
            VERSION,
            layer="contains",
            fields={"gold": expected, "correct": found},
        )

    return UserJudge(
        "contains",
        "contains " + (f"field {gold!r}" if gold else ", ".join(repr(s) for s in fixed or ())),
        _per_item("contains", read, gold, read_gold),
        labels=(MATCH, NO_MATCH),
        positive=MATCH,
        gold=gold,
        read_gold=read_gold,
        gold_expected="a non-empty string or a list of strings",
    )


def _similarity(section: Section) -> UserJudge:
    field = section.text("field")
    threshold = section.number("threshold", 0.5, low=-1.0, high=1.0)

    def batch(
        records: Sequence[dict[str, Any]], responses: Sequence[str | None], context: JudgeContext
    ) -> list[Verdict]:
        from ..judges.similarity import cosine_rows

        embedder = context.get("embedder")
        answered = [i for i, text in enumerate(responses) if not is_blank(text)]
        verdicts = [
            Verdict(None, False, embedder.name, embedder.version, layer="empty response", score=0.0)
            for _ in responses
        ]
        if not answered:
            return verdicts
        left = embedder.embed([responses[i] or "" for i in answered])
        right = embedder.embed([as_text(records[i].get(field)) for i in answered])
        for i, cosine in zip(answered, cosine_rows(left, right), strict=True):
            value = round(float(cosine), 6)
            verdicts[i] = Verdict(
                SIMILAR if value >= threshold else DISSIMILAR,
                True,
                embedder.name,
                embedder.version,
                layer="similarity",
                score=value,
            )
        return verdicts

    return UserJudge(
        "similarity",
        f"MiniLM similarity to field {field!r} (similar at {threshold:g} or more)",
        batch,
        labels=(SIMILAR, DISSIMILAR),
        positive=SIMILAR,
        scored=True,
        fields=(field,),
    )


def _llm(section: Section) -> UserJudge:
    from ..judges.llm import Rubric

    template = Template.parse(section, "rubric", section.raw("rubric"))
    if "response" not in template.fields:
        raise section.error("rubric", "expected a template with a {response} slot for the response")
    labels = section.strings("labels", least=2)
    gold = _gold_field(section)
    read_gold = _label_reader(labels)
    parser = LabelParser({label: (label,) for label in labels})
    digest = hashlib.sha256("\n".join([template.text, *labels]).encode("utf-8")).hexdigest()
    rubric = Rubric("task-file", digest[:12], template.text)
    slots = [f for f in template.fields if f != "response"]

    def batch(
        records: Sequence[dict[str, Any]], responses: Sequence[str | None], context: JudgeContext
    ) -> list[Verdict]:
        if not context.has("llm"):
            raise TaskFileError(
                f"{section.file}: judge.kind: llm needs a judge model; pass --judge MODEL"
            )
        llm = context.get("llm")
        version = f"rubric {rubric.version}"
        asks = [
            (i, {**{f: as_text(records[i].get(f)) for f in slots}, "response": text or ""})
            for i, text in enumerate(responses)
            if not is_blank(text)
        ]
        replies = llm.ask(rubric, [fields for _, fields in asks], read=parser.parse) if asks else []
        verdicts = []
        by_index = dict(zip((i for i, _ in asks), replies, strict=True))
        for i, record in enumerate(records):
            if i not in by_index:
                extra = {"gold": read_gold(record.get(gold)), "correct": False} if gold else {}
                verdicts.append(
                    Verdict(None, False, llm.name, version, "empty response", fields=extra)
                )
                continue
            verdict = _graded(
                llm.name, parser.parse(by_index[i]), record, gold, read_gold, layer="llm"
            )
            verdicts.append(replace(verdict, judge_version=version))
        return verdicts

    return UserJudge(
        "llm",
        f"LLM judge with the task file's rubric ({', '.join(labels)})",
        batch,
        labels=tuple(labels),
        gold=gold,
        read_gold=read_gold,
        gold_expected=one_of(labels),
        gold_is_label=gold is not None,
        fields=tuple(slots),
        needs_llm=True,
    )


_BUILDERS: dict[str, Callable[[Section], UserJudge]] = {
    "refusal": _refusal,
    "choice": _choice,
    "yes_no": _yes_no,
    "number": _number,
    "labels": _labels,
    "regex": _regex,
    "contains": _contains,
    "similarity": _similarity,
    "llm": _llm,
}


def build_judge(file: str, value: Any) -> UserJudge:
    """The judge a task file's ``judge`` key describes: a mapping with ``kind``, or just the
    kind's name (``judge: refusal``) for a kind that needs no options."""
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, dict):
        raise TaskFileError(f"{file}: judge: expected a mapping with a kind, got {describe(value)}")
    kind = value.get("kind")
    if kind not in JUDGE_KINDS:
        shown = describe(kind) if "kind" in value else "nothing"
        raise TaskFileError(f"{file}: judge.kind: expected {one_of(JUDGE_KINDS)}, got {shown}")
    return _BUILDERS[kind](Section.of(file, "judge", value, _KEYS[kind]))
