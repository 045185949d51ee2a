"""Refusal judge: agreement with the labelled set (dev and test parts) and speed on a mix.

    python benchmarks/bench_refusal.py [--mix N]

Speed is measured on N responses drawn from the labelled set, each made distinct (so no
embedding comes from a cache), in the proportions of the set: the rules settle most of them and
the learned layer the rest; each response comes with its prompt, as in a run. Prints responses per second for the rules alone and for the layered
judge, and the share each layer decided.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cli import machine  # noqa: E402

from trustbench.judges.refusal import RuleRefusalJudge, default_refusal_judge  # noqa: E402
from trustbench.judges.refusal_devset import load_devset  # noqa: E402


def agreement(judge, rows) -> float:
    verdicts = judge.judge_many([row["response"] for row in rows], [row["prompt"] for row in rows])
    said = ["invalid" if not v.valid else v.label for v in verdicts]
    return sum(s == row["label"] for s, row in zip(said, rows, strict=True)) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mix", type=int, default=2000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rules, layered = RuleRefusalJudge(), default_refusal_judge()
    for split in ("dev", "test"):
        rows = load_devset(split)
        print(
            f"{split:<5} {len(rows):>4} rows: rules {agreement(rules, rows):.4f}, "
            f"{layered.name} {agreement(layered, rows):.4f}"
        )
    rng = random.Random(0)
    rows = load_devset()
    mix, prompts = [], []
    for number in range(args.mix):
        row = rng.choice(rows)
        text = row["response"]
        mix.append(f"{text} [{number}]" if text.strip() else text)
        prompts.append(row["prompt"])
    layered.judge_many(["warm-up: load the embedding model, please."])
    for name, judge in (("rules", rules), (layered.name, layered)):
        start = time.perf_counter()
        verdicts = judge.judge_many(mix, prompts)
        seconds = time.perf_counter() - start
        layers = Counter(v.layer for v in verdicts)
        shares = ", ".join(f"{k} {n / len(mix):.0%}" for k, n in layers.most_common())
        print(f"{name:<16} {len(mix) / seconds:>8.0f} responses/s  ({shares})")


if __name__ == "__main__":
    main()
