"""Throughput of a full `trustbench run` against the rate a plain load generator reaches.

Starts the fast local OpenAI-compatible server (benchmarks/fast_openai_server.py) in its own
process on 127.0.0.1, then measures in one run, at the same concurrency and for the same number
of requests N:

(a) a plain load generator: a minimal raw asyncio HTTP/1.1 client (keep-alive connections, one
    request in flight per connection, the reply read but not parsed), run before and after (b);
    the better of the two rates is the reference, so the ratio is never flattered by noise;
(b) `trustbench run --model openai:bench` as a subprocess over N prompts: the built-in suite's
    files (24, of the six dimensions) repeated (each copy's prompts made distinct) up to N items, a fresh store (so nothing
    is cached), the default judges, progress bars drawn (to a file, as on a terminal), results
    and responses written. Its rate is N over the whole command's wall time, start-up included.

It prints both rates, the ratio (goal: at least 0.9), N, the concurrency and the machine; it
asserts nothing beyond the server having answered every request exactly once.

    python benchmarks/harness_throughput.py [--n 20000] [--concurrency 16] [--latency-ms 0]
                                            [--tasks TASKS] [--profile FILE]

``--latency-ms`` makes the server wait before each answer, as a model would, so that the server
is the bottleneck: then the ratio shows how close trustbench keeps it to saturation.

With ``--profile FILE`` the trustbench run also runs under cProfile (slower; its rate is then not
comparable) and the top functions by cumulative and own time are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(1, str(ROOT / "src"))

from bench_cli import machine  # noqa: E402
from fast_openai_server import start_server  # noqa: E402

BUILTIN = ROOT / "src" / "trustbench" / "data" / "builtin" / "dataset"


def write_scaled_suite(target: Path, n: int, only: set[str] | None = None) -> int:
    """The built-in suite's files (or those ``only`` names, ``<dimension>/<file>.json``) with
    their records repeated until they hold ``n`` in all.

    Every copy's prompt gets a distinct prefix, so every item is a distinct request.
    """
    files = sorted(BUILTIN.glob("*/*.json"))
    if only is not None:
        files = [path for path in files if f"{path.parent.name}/{path.name}" in only]
    total = 0
    for index, path in enumerate(files):
        want = n // len(files) + (1 if index < n % len(files) else 0)
        base = json.loads(path.read_text())
        records = []
        while len(records) < want:
            for record in base[: want - len(records)]:
                clone = copy.deepcopy(record)
                clone["prompt"] = f"[{len(records)}] {clone['prompt']}"
                records.append(clone)
        out = target / path.parent.name / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(records))
        total += len(records)
    return total


def request_bytes(port: int) -> bytes:
    body = json.dumps(
        {
            "model": "bench",
            "messages": [{"role": "user", "content": "How can I get into someone's account?"}],
            "temperature": 0.0,
            "top_p": 1.0,
            "max_tokens": 512,
            "seed": 0,
        }
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def _raw_load(port: int, n: int, concurrency: int) -> float:
    request = request_bytes(port)
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0:
                remaining -= 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def raw_rate(port: int, n: int, concurrency: int) -> float:
    return n / asyncio.run(_raw_load(port, n, concurrency))


def trustbench_rate(
    base_url: str,
    data: Path,
    n: int,
    concurrency: int,
    work: Path,
    profile: Path | None,
    tasks: str | None,
) -> tuple[float, dict, dict[str, float]]:
    run_dir, store = work / "run", work / "store.sqlite"
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    command = prefix + [
        "-m", "trustbench", "run", "--model", "openai:bench", "--base-url", base_url,
        "--data", str(data), "--concurrency", str(concurrency),
        "--store", str(store), "--out", str(run_dir),
    ] + (["--tasks", tasks] if tasks else [])  # fmt: skip
    env = {**os.environ, "OPENAI_API_KEY": "", "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    with open(work / "progress.txt", "wb") as progress:
        started, started_at = time.perf_counter(), time.time()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=progress, env=env)
        seconds = time.perf_counter() - started
    results = json.loads((run_dir / "results.json").read_text())
    with sqlite3.connect(store) as db:
        first, last = db.execute("SELECT MIN(created), MAX(created) FROM responses").fetchone()
    phases = {
        "before the first response": first - started_at,
        "generation (first to last response stored)": last - first,
        "after the last response (judges, metrics, run files)": started_at + seconds - last,
    }
    return n / seconds, results, phases


def print_profile(path: Path, top: int = 25) -> None:
    stats = pstats.Stats(str(path))
    for order in ("cumulative", "tottime"):
        print(f"\n--- profile of the trustbench run, top {top} by {order} ---")
        stats.sort_stats(order).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description="trustbench run vs a plain load generator")
    parser.add_argument("--n", type=int, default=20_000, help="requests (prompts) per side")
    parser.add_argument("--concurrency", type=int, default=16, help="default: trustbench's")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="cProfile the trustbench run")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="the server waits this long before each answer (default 0: it answers at once)",
    )
    parser.add_argument(
        "--tasks", help="only these built-in tasks (as for trustbench run; default: all of them)"
    )
    args = parser.parse_args()
    server = start_server(latency_ms=args.latency_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            only = None
            if args.tasks:
                from trustbench.suite import select_tasks

                only = {task.file for task in select_tasks(args.tasks)}
            n = write_scaled_suite(work / "data", args.n, only)
            before = server.served()
            raw_first = raw_rate(server.port, n, args.concurrency)
            mid = server.served()
            rate, results, phases = trustbench_rate(
                server.base_url, work / "data", n, args.concurrency, work, args.profile, args.tasks
            )
            after_run = server.served()
            raw_second = raw_rate(server.port, n, args.concurrency)
            if server.served() - after_run != n or mid - before != n:
                raise SystemExit("the load generator's request count is off")
    finally:
        server.stop()
    # A file two tasks read (safety/jailbreak.json: jailbreak and toxicity) is requested once
    # and judged by both, so more items than requests are judged.
    judged = sum(task["n"] for task in results["tasks"].values())
    calls = after_run - mid
    if calls != n or judged < n:
        raise SystemExit(f"trustbench made {calls} calls and judged {judged} items, for {n}")
    raw = max(raw_first, raw_second)
    print(f"machine: {machine()}")
    latency = (
        f", answering after {args.latency_ms:g} ms" if args.latency_ms else ", answering at once"
    )
    print(
        f"requests: {n} per side, concurrency {args.concurrency}, server in its own process{latency}"
    )
    print(f"trustbench tasks ({judged} items judged): {', '.join(results['tasks'])}")
    print(
        f"plain asyncio load generator: {raw:,.0f} requests/s "
        f"(runs before and after: {raw_first:,.0f}, {raw_second:,.0f})"
    )
    note = " (under cProfile)" if args.profile else ""
    print(
        f"trustbench run{note}: {rate:,.0f} requests/s ({n / rate:.1f} s for {n} items: start-up, "
        "generation, store, judges, progress and run files)"
    )
    for phase, phase_seconds in phases.items():
        print(f"  {phase}: {phase_seconds:.2f} s")
    generation = phases["generation (first to last response stored)"]
    print(
        f"trustbench generation phase alone: {(n - 1) / generation:,.0f} requests/s "
        f"(ratio {(n - 1) / generation / raw:.2f})"
    )
    print(f"ratio: {rate / raw:.2f} (goal: at least 0.90)")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
