"""Record schemas of the 24 official TrustLLM data files.

Each file is a JSON list of objects. A schema names the fields a record must (or may) have and
their types; extra fields are allowed, since later releases of the data add some.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import DataError

DIMENSIONS = ("truthfulness", "safety", "fairness", "robustness", "privacy", "ethics")

_TYPE_NAMES = {str: "str", int: "int", float: "number", list: "list", dict: "object", bool: "bool"}


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Field:
    """One field of a record: its accepted types, and optionally its accepted values."""

    name: str
    types: tuple[type, ...] = (str,)
    required: bool = True
    choices: tuple[Any, ...] | None = None
    items: type | None = None  # element type for list fields

    def check(self, record: dict[str, Any], file: str, index: int) -> None:
        if self.name not in record or record[self.name] is None:
            if self.required:
                raise DataError(file, "missing", index, self.name)
            return
        value = record[self.name]
        if not _type_ok(value, self.types):
            expected = " or ".join(_TYPE_NAMES[t] for t in self.types)
            raise DataError(file, f"expected {expected}, got {_kind(value)}", index, self.name)
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise DataError(file, f"value {value!r} is not one of {allowed}", index, self.name)
        if self.items is not None:
            for element in value:
                if not _type_ok(element, (self.items,)):
                    raise DataError(
                        file,
                        f"expected a list of {_TYPE_NAMES[self.items]}, found {_kind(element)}",
                        index,
                        self.name,
                    )


RecordCheck = Callable[[dict[str, Any], str, int], None]


@dataclass(frozen=True)
class FileSchema:
    """Schema of one official file, ``<dimension>/<name>.json``."""

    path: str
    fields: tuple[Field, ...]
    official_count: int
    extra_checks: tuple[RecordCheck, ...] = ()

    @property
    def dimension(self) -> str:
        return self.path.split("/", 1)[0]

    def validate(self, records: Any, file: str | None = None) -> list[dict[str, Any]]:
        """Return the records if every one matches; raise DataError naming the first that does not."""
        file = file or self.path
        if not isinstance(records, list):
            raise DataError(file, f"expected a JSON list of records, got {_kind(records)}")
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                raise DataError(file, f"expected an object, got {_kind(record)}", index)
            for spec in self.fields:
                spec.check(record, file, index)
            for check in self.extra_checks:
                check(record, file, index)
        return records


def _moralchoice_label(record: dict[str, Any], file: str, index: int) -> None:
    if record.get("type") == "low" and record.get("label") not in ("A", "B"):
        raise DataError(file, "a low-ambiguity record needs label 'A' or 'B'", index, "label")


_S = (str,)
_NUM = (int, float)
_SCALAR = (str, int, float)

SCHEMAS: dict[str, FileSchema] = {
    s.path: s
    for s in (
        # truthfulness
        FileSchema(
            "truthfulness/internal.json",
            (
                Field("prompt"),
                Field("question", (str, dict)),
                Field("answer", (list, int, str)),
                Field("source", choices=("squad", "codah", "hotpot", "adversarial")),
            ),
            400,
        ),
        FileSchema(
            "truthfulness/external.json",
            (Field("prompt"), Field("answer", choices=("SUPPORT", "REFUTE")), Field("source")),
            400,
        ),
        FileSchema(
            "truthfulness/hallucination.json",
            (Field("prompt"), Field("answer"), Field("source")),
            652,
        ),
        FileSchema(
            "truthfulness/sycophancy.json",
            (
                Field("prompt"),
                Field("n_completion"),
                Field("s_completion"),
                Field("source", choices=("persona", "preference")),
            ),
            419,
        ),
        FileSchema(
            "truthfulness/golden_advfactuality.json",
            (Field("knowledge"), Field("modified knowledge"), Field("query"), Field("prompt")),
            209,
        ),
        # safety
        FileSchema(
            "safety/jailbreak.json",
            (Field("prompt"), Field("label", (list,), items=str), Field("source")),
            1400,
        ),
        FileSchema(
            "safety/misuse.json",
            (
                Field("prompt"),
                Field("source"),
                Field("type", required=False),
                Field("label", (list, dict), required=False),
            ),
            1174,
        ),
        FileSchema(
            "safety/exaggerated_safety.json",
            (Field("prompt"), Field("type")),
            200,
        ),
        # fairness
        FileSchema(
            "fairness/stereotype_recognition.json",
            (Field("prompt"), Field("label"), Field("type", required=False)),
            1000,
        ),
        FileSchema(
            "fairness/stereotype_agreement.json",
            (
                Field("prompt"),
                Field("sentence", required=False),
                Field("bias_type", required=False),
            ),
            1000,
        ),
        FileSchema("fairness/stereotype_query_test.json", (Field("prompt"),), 95),
        FileSchema(
            "fairness/disparagement.json",
            (
                Field("prompt"),
                Field("sex", _SCALAR),
                Field("race", _SCALAR),
                Field("age", _SCALAR, required=False),
                Field("education", _SCALAR, required=False),
                Field("work_hours", _SCALAR, required=False),
                Field("work_type", _SCALAR, required=False),
            ),
            810,
        ),
        FileSchema(
            "fairness/preference.json",
            (
                Field("prompt"),
                Field("option_a", required=False),
                Field("option_b", required=False),
                Field("type", choices=("plain", "force")),
            ),
            240,
        ),
        # robustness
        FileSchema(
            "robustness/AdvGLUE.json",
            (
                Field("index", (int,)),
                Field("task", choices=("qqp", "sst2", "qnli", "mnli")),
                Field("prompt"),
                Field("label", (int,)),
                Field("type", choices=("original", "modified")),
                Field("method", required=False),
            ),
            912,
        ),
        FileSchema(
            "robustness/AdvInstruction.json",
            (
                Field("prompt"),
                Field("type"),
                Field("index", (int,)),
                Field("topic", required=False),
            ),
            600,
        ),
        FileSchema("robustness/ood_detection.json", (Field("prompt"),), 241),
        FileSchema(
            "robustness/ood_generalization.json",
            (Field("prompt"), Field("label"), Field("source", choices=("ddxplus", "flipkart"))),
            500,
        ),
        # privacy
        FileSchema(
            "privacy/privacy_awareness_confAIde.json",
            (Field("prompt"), Field("label", _SCALAR)),
            196,
        ),
        FileSchema(
            "privacy/privacy_awareness_query.json",
            (
                Field("prompt"),
                Field("type", choices=("normal", "aug")),
                Field("privacy_information", required=False),
                Field("name", required=False),
            ),
            560,
        ),
        FileSchema(
            "privacy/privacy_leakage.json",
            (
                Field("prompt"),
                Field("gt-email"),
                Field("gt-name", required=False),
                Field("type", choices=("A", "B", "C", "D")),
                Field("shotType"),
            ),
            400,
        ),
        # ethics
        FileSchema(
            "ethics/implicit_ETHICS.json",
            (Field("prompt"), Field("label"), Field("input", required=False)),
            500,
        ),
        FileSchema(
            "ethics/implicit_SocialChemistry101.json",
            (Field("prompt"), Field("label", _NUM), Field("action", required=False)),
            500,
        ),
        FileSchema(
            "ethics/explicit_moralchoice.json",
            (
                Field("prompt"),
                Field("type", choices=("low", "high")),
                Field("label", required=False),
                Field("good_action", required=False),
                Field("bad_action", required=False),
            ),
            1367,
            extra_checks=(_moralchoice_label,),
        ),
        FileSchema(
            "ethics/awareness.json",
            (Field("prompt"), Field("label", _SCALAR), Field("dimension", required=False)),
            2666,
        ),
    )
}


def schema_for(path: str) -> FileSchema:
    try:
        return SCHEMAS[path]
    except KeyError:
        raise DataError(path, "not a TrustLLM data file known to trustbench") from None
