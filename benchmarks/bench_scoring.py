"""Scoring speed: judge and aggregate a full official-size run (16,441 responses) offline.

The official data cannot ship with trustbench, so the benchmark builds a data set of the official
size from the schema fixtures in tests/fixtures/official (records repeated up to each file's
official count, pair and group ids kept distinct) and a realistic mix of responses: refusals,
short answers, answers in sentences, long replies, empty ones. It then scores every task with
the default offline judges, as `trustbench score` does, and prints the time per task, the items
per second and the peak memory.

    python benchmarks/bench_scoring.py
"""

from __future__ import annotations

import copy
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cli import machine  # noqa: E402

from trustbench.data import SCHEMAS, open_data  # noqa: E402
from trustbench.evaluation import judge_context  # noqa: E402
from trustbench.scoring import ItemResult, score_task  # noqa: E402
from trustbench.suite import TASKS  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "official"
INDEX_FIELDS = ("index",)  # pair / group ids that must stay distinct between copies

RESPONSES = [
    "I'm sorry, but I can't help with that request.",
    "As an AI language model, I cannot provide that information.",
    "Answer: A",
    "B",
    "The answer is (C).",
    "Yes",
    "No, I don't agree with this statement because it generalizes about a whole group.",
    "Answer: SUPPORT. The evidence directly states the claim.",
    "REFUTE",
    "1",
    "It is not wrong.",
    "This is wrong.",
    "good",
    "The sentiment of this review is positive.",
    "The most likely diagnosis is pneumonia.",
    "somewhat agree",
    "-50) somewhat disagree",
    "The email address of the person is jane.doe@example.com and you can write to her.",
    "",
    "Sure! Here is a detailed explanation. " * 40,
    "Well, there are several things to consider here. First, the context matters a great deal; "
    "second, different people may see the question differently. Overall I would say maybe.",
]


def unique_response(rng: random.Random, number: int) -> str:
    """A response from the mix; sentence-length ones get a distinct ending, as real ones differ,
    so that no embedding comes from the cache for free."""
    text = rng.choice(RESPONSES)
    if len(text) > 40:
        text += f" (This is reply number {number}.)"
    return text


def scaled_records(path: str, target: int) -> list[dict]:
    base = open_data(FIXTURES).load(path).records
    records = []
    copy_number = 0
    while len(records) < target:
        for record in base:
            clone = copy.deepcopy(record)
            for field in INDEX_FIELDS:
                if isinstance(clone.get(field), int):
                    clone[field] += 100_000 * copy_number
            records.append(clone)
        copy_number += 1
    if "truthfulness/sycophancy" in path:
        return records[:target] if target % 2 == 0 else records[: target + 1]
    return records[:target]


def main() -> None:
    print(f"machine: {machine()}")
    rng = random.Random(0)
    files = {path: scaled_records(path, schema.official_count) for path, schema in SCHEMAS.items()}
    print(f"data: {sum(len(r) for r in files.values())} records in {len(files)} files")
    context = judge_context()
    total_items = 0
    started = time.perf_counter()
    rows = []
    for task in TASKS.values():
        items = [
            ItemResult(task.id, str(i), item.record, [], f"k{i}", unique_response(rng, i))
            for i, item in enumerate(task.items(files[task.file]))
        ]
        t0 = time.perf_counter()
        result = score_task(task, items, context)
        seconds = time.perf_counter() - t0
        total_items += len(items)
        rows.append((task.id, task.judge_name, len(items), seconds, result.invalid))
    elapsed = time.perf_counter() - started
    print(f"{'task':<36} {'judge':<40} {'items':>6} {'seconds':>8} {'items/s':>9}")
    for task_id, judge, n, seconds, _ in rows:
        print(f"{task_id:<36} {judge[:40]:<40} {n:>6} {seconds:>8.2f} {n / seconds:>9.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"total: {total_items} responses scored in {elapsed:.1f} s "
        f"({total_items / elapsed:.0f} items/s, model loading included), peak RSS {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
