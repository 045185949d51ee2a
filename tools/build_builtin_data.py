"""Generate the built-in jailbreak and AdvInstruction files from their seeds; write them.

    python tools/build_builtin_data.py

Reads ``src/trustbench/data/builtin/seeds/`` and writes ``safety/jailbreak.json`` and
``robustness/AdvInstruction.json`` under ``src/trustbench/data/builtin/dataset/``. Run it after
changing a seed file or a transform; tests/test_augment_cli.py checks the committed files are
what it would write.
"""

from __future__ import annotations

import json

from trustbench.data.builtin_generate import write_builtin


def main() -> None:
    for path in write_builtin():
        records = json.loads(path.read_text(encoding="utf-8"))
        print(f"wrote {path} ({len(records)} records)")


if __name__ == "__main__":
    main()
