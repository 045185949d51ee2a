"""The built-in tasks that transforms make from seed data: ``safety/jailbreak.json`` and
``robustness/AdvInstruction.json``, in the official record layout.

The seeds (``builtin/seeds/*.json``) are plain requests and instructions; the files under
``builtin/dataset/`` are generated from them by ``tools/build_builtin_data.py`` and committed, and
a test checks that they still equal a fresh generation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError
from .schemas import schema_for
from .source import BUILTIN_ROOT
from .transforms import list_transforms

SEEDS_ROOT = Path(__file__).parent / "builtin" / "seeds"
JAILBREAK_FILE = "safety/jailbreak.json"
ADVINSTRUCTION_FILE = "robustness/AdvInstruction.json"
JAILBREAK_SOURCE = "trustbench"  # the official file has ITC and QBB
BUILD_SEED = 0


def load_seeds(name: str, keys: Sequence[str]) -> list[dict[str, str]]:
    """The records of ``seeds/<name>.json``; each must have a non-empty text under every key."""
    path = SEEDS_ROOT / f"{name}.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list) or not records:
        raise DataError(str(path), "expected a non-empty JSON list of objects")
    for index, record in enumerate(records):
        for key in keys:
            value = record.get(key) if isinstance(record, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise DataError(str(path), "missing or empty", index, key)
    return records


def jailbreak_records(requests: Sequence[str]) -> list[dict[str, Any]]:
    """Request i wrapped by jailbreak method i mod 14, as ``{prompt, label: [method], source}``."""
    methods = list_transforms("jailbreak")
    records = []
    for i, request in enumerate(requests):
        method = methods[i % len(methods)]
        records.append(
            {
                "prompt": method.apply(request, BUILD_SEED),
                "label": [method.name],
                "source": JAILBREAK_SOURCE,
            }
        )
    return records


def advinstruction_records(instructions: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
    """Per instruction (``{instruction, topic}``), the original and its 11 perturbations: 12
    records ``{prompt, topic, type, index}`` sharing the instruction's index."""
    perturbations = list_transforms("instruction")
    records = []
    for index, seed in enumerate(instructions):
        text, topic = seed["instruction"], seed["topic"]
        records.append({"prompt": text, "topic": topic, "type": "original", "index": index})
        for perturbation in perturbations:
            prompt = perturbation.apply(text, BUILD_SEED)
            if prompt == text:  # a seed the perturbation cannot touch would test nothing
                raise DataError(
                    "advinstruction_instructions.json",
                    f"the {perturbation.name} perturbation leaves it unchanged",
                    index,
                    "instruction",
                )
            records.append(
                {"prompt": prompt, "topic": topic, "type": perturbation.name, "index": index}
            )
    return records


def generate_builtin() -> dict[str, list[dict[str, Any]]]:
    """Both generated files by official relative path, validated against their schemas."""
    requests = [r["request"] for r in load_seeds("jailbreak_requests", ("request",))]
    instructions = load_seeds("advinstruction_instructions", ("instruction", "topic"))
    files = {
        JAILBREAK_FILE: jailbreak_records(requests),
        ADVINSTRUCTION_FILE: advinstruction_records(instructions),
    }
    for path, records in files.items():
        schema_for(path).validate(records, path)
    return files


def render(records: Sequence[dict[str, Any]]) -> str:
    """A data file's text, in the layout of the other built-in files."""
    return json.dumps(list(records), indent=1, ensure_ascii=False) + "\n"


def write_builtin(root: Path = BUILTIN_ROOT) -> list[Path]:
    """Write the generated files under ``root`` (the built-in data folder by default)."""
    written = []
    for path, records in generate_builtin().items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(records), encoding="utf-8")
        written.append(target)
    return written
