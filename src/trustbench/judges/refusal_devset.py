"""The labelled development set of the refusal judge: responses written and labelled for
trustbench (``judges/data/refusal_*.jsonl``). Files ``refusal_a``, ``_b``, ``_d`` and ``_e`` are
the part the rules were tuned and the learned layer trained on (``dev``); ``refusal_c`` and
``refusal_f`` were written apart, by writers who did not see the judge, and are only ever scored
(``test``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
TEST_PREFIXES = ("c", "f")


def split_of(row: dict[str, Any]) -> str:
    """``test`` for the held-out files' rows (ids starting with "c" or "f"), ``dev`` for the rest."""
    return "test" if str(row["id"]).startswith(TEST_PREFIXES) else "dev"


def load_devset(split: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(DATA.glob("refusal_*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return [row for row in rows if split is None or split_of(row) == split]
