"""Reading a task file's keys with errors that name the file, the key and what was expected.

Shared by :mod:`.user_tasks`, :mod:`.user_judges` and :mod:`.user_metrics`; nothing here knows
what a key means, only its type and place.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError


class TaskFileError(UsageError):
    """A task file, or the data it names, that does not match the task file format."""


_MISSING: Any = object()


def describe(value: Any) -> str:
    """A value as an error message shows it: strings quoted, containers by kind."""
    if value is _MISSING:
        return "nothing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def one_of(options: Sequence[str]) -> str:
    return "one of " + ", ".join(options)


@dataclass(frozen=True)
class Section:
    """One mapping of a task file (the top level, ``judge``, ``metric[1]``...) with its place."""

    file: str
    path: str
    values: dict[str, Any]

    @classmethod
    def of(cls, file: str, path: str, value: Any, allowed: Sequence[str]) -> Section:
        """The mapping at ``path``; any key outside ``allowed`` is an error (a typo, usually)."""
        if not isinstance(value, dict):
            raise TaskFileError(
                f"{file}: {path or 'top level'}: expected a mapping, got {describe(value)}"
            )
        for key in value:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                raise TaskFileError(f"{file}: {where}: unknown key; expected {one_of(allowed)}")
        return cls(file, path, value)

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: str) -> TaskFileError:
        return TaskFileError(f"{self.file}: {self.key(name)}: {message}")

    def fail(self, name: str, expected: str, got: Any = _MISSING) -> TaskFileError:
        if got is _MISSING:
            got = self.values.get(name, _MISSING)
        return self.error(name, f"expected {expected}, got {describe(got)}")

    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        if name not in self.values:
            if default is _MISSING:
                raise self.fail(name, "a value (the key is required)")
            return default
        return self.values[name]

    def text(self, name: str, default: Any = _MISSING) -> str:
        """A non-empty string (numbers written bare in YAML, such as ``version: 2``, too)."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "a non-empty string")
        return value

    def choice(self, name: str, options: Sequence[str], default: Any = _MISSING) -> str:
        value = self.raw(name, default)
        if value not in options:
            raise self.fail(name, one_of(options))
        return value

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        value = self.raw(name, default)
        within = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )
        if not within:
            bounds = (
                f" from {low:g} to {high:g}"
                if low is not None and high is not None
                else f" of at least {low:g}"
                if low is not None
                else ""
            )
            raise self.fail(name, f"a number{bounds}")
        return float(value)

    def integer(self, name: str, default: Any = _MISSING, low: int = 1) -> int:
        value = self.raw(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise self.fail(name, f"a whole number of at least {low}")
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "true or false")
        return value

    def strings(self, name: str, default: Any = _MISSING, least: int = 1) -> list[str]:
        """A list of distinct non-empty strings (compared case-insensitively)."""
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        expected = f"a list of at least {least} distinct non-empty strings"
        if not isinstance(value, list) or len(value) < least:
            raise self.fail(name, expected)
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(
                name, expected, next(v for v in value if not isinstance(v, str) or not v.strip())
            )
        if len({v.strip().lower() for v in value}) != len(value):
            raise self.error(name, f"expected {expected}, got a repeated value")
        return [v.strip() for v in value]


@dataclass(frozen=True)
class Template:
    """A text with ``{field}`` slots filled from a record; ``{{`` and ``}}`` are literal braces."""

    text: str
    pieces: tuple[tuple[str, str | None], ...]  # (literal text, field that follows it or None)

    @classmethod
    def parse(cls, section: Section, name: str, text: Any) -> Template:
        """Check the slots: plain field names only (no ``{}``, ``{0}``, ``{a.b}``, ``{a:>5}``);
        whether the records hold those fields is checked when the data is read."""
        if not isinstance(text, str) or not text.strip():
            raise section.fail(name, "a non-empty template string", text)
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise section.error(
                name, f"not a valid template ({exc}); write {{{{ and }}}} for literal braces"
            ) from None
        pieces = []
        for literal, field, spec, conversion in parsed:
            if field is not None:
                plain = field.strip()
                if (
                    not plain
                    or plain.isdigit()
                    or any(c in plain for c in ".[]")
                    or spec
                    or conversion
                ):
                    raise section.error(
                        name,
                        f"expected {{field}} slots that name a record field, got {{{field}"
                        f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}",
                    )
                field = plain
            pieces.append((literal, field))
        return cls(text, tuple(pieces))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(field for _, field in self.pieces if field is not None))

    def render(self, values: dict[str, Any]) -> str:
        out = []
        for literal, field in self.pieces:
            out.append(literal)
            if field is not None:
                out.append(as_text(values[field]))
        return "".join(out)


def as_text(value: Any) -> str:
    """A record value as it goes into a prompt: strings as they are, other values as JSON would."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)
