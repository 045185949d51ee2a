"""Published leaderboards shipped with trustbench, and how their columns map to trustbench metrics.

``trustllm`` is the TrustLLM leaderboard (16 LLMs of the paper and 5 added in v0.3.0), read from
``report/data/trustllm_leaderboard.json``. Each published column names the trustbench task and
metric that computes the same formula (a ``_trustllm`` metric, or the task's own metric where the
reference's formula needed no correction), or is marked unmapped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import UsageError

REFERENCES = {"trustllm": "trustllm_leaderboard.json"}


@dataclass(frozen=True)
class PublishedColumn:
    """One published column: its header, direction, unit and the trustbench metric it maps to."""

    id: str
    dimension: str
    label: str
    higher_is_better: bool
    published_higher_is_better: bool
    unit: str  # "fraction" or "percent"
    range: tuple[float, float]  # the scale that puts the column on 0-1
    task: str
    metric: str | None  # None: no trustbench counterpart
    basis: str | None  # "trustllm" (a _trustllm metric) or "same_formula"
    transform: str | None  # "one_minus": the run's value is 1 - metric
    note: str

    @property
    def mapped(self) -> bool:
        return self.metric is not None

    def run_value(self, value: float | None) -> float | None:
        """A run's metric value in this column's convention."""
        if value is None:
            return None
        if self.transform == "one_minus":
            return round(1.0 - value, 6)
        return value


@dataclass(frozen=True)
class PublishedModel:
    name: str
    added_in: str  # "paper" or "v0.3.0"
    values: dict[str, float | None]  # column id -> value as published (None = n/a)


@dataclass(frozen=True)
class Leaderboard:
    name: str
    title: str
    source: dict[str, str]
    units: str
    judges: str
    columns: tuple[PublishedColumn, ...]
    models: tuple[PublishedModel, ...]

    def column(self, column_id: str) -> PublishedColumn:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(column_id)


def _column(raw: dict[str, Any]) -> PublishedColumn:
    low, high = raw["range"]
    return PublishedColumn(
        id=raw["id"],
        dimension=raw["dimension"],
        label=raw["label"],
        higher_is_better=raw["direction"] == "higher",
        published_higher_is_better=raw["published_direction"] == "higher",
        unit=raw["unit"],
        range=(float(low), float(high)),
        task=raw["task"],
        metric=raw["metric"],
        basis=raw["basis"],
        transform=raw["transform"],
        note=raw["note"],
    )


def load_reference(name: str) -> Leaderboard:
    """The published leaderboard ``name`` (only ``trustllm`` so far)."""
    if name not in REFERENCES:
        raise UsageError(f"unknown reference {name!r}; known: {', '.join(REFERENCES)}")
    path = resources.files("trustbench") / "report" / "data" / REFERENCES[name]
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Leaderboard(
        name=raw["name"],
        title=raw["title"],
        source=raw["source"],
        units=raw["units"],
        judges=raw["judges"],
        columns=tuple(_column(c) for c in raw["columns"]),
        models=tuple(
            PublishedModel(m["name"], m["added_in"], dict(m["values"])) for m in raw["models"]
        ),
    )
