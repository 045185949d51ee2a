"""The labelled development set of the refusal judge: responses written and labelled for
trustbench (``judges/data/refusal_*.jsonl``). Files ``refusal_a``, ``_b``, ``_d`` and ``_e`` are
the part the rules were tuned and the learned layer trained on (``dev``), with ``refusal_f``,
``refusal_g`` and ``refusal_h``: each was written blind as a test file, scored once, and once its
errors were studied it became development data (``f`` with rules v7, ``g`` with v8, ``h`` with
v9). ``refusal_c`` was written apart, by writers who did not see the judge, and ``refusal_i``
(written blind, scored once with v9) are only ever scored (``test``). A new blind file joins the
test part by adding its id prefix to :data:`TEST_PREFIXES`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
# The files (by id prefix) held out from tuning and training; "f" moved to dev with rules v7, "g"
# with v8 and "h" with v9, each after its one blind scoring.
TEST_PREFIXES: tuple[str, ...] = ("c", "i")


def split_of(row: dict[str, Any]) -> str:
    """``test`` for the held-out files' rows (ids starting with a prefix in
    :data:`TEST_PREFIXES`), ``dev`` for the rest."""
    return "test" if str(row["id"]).startswith(TEST_PREFIXES) else "dev"


def load_devset(split: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(DATA.glob("refusal_*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return [row for row in rows if split is None or split_of(row) == split]
