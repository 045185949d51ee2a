"""Peak memory of a large `trustbench run`: 100,000 requests against the fast local server.

Builds the built-in suite's six files repeated (distinct prompts) up to N items, starts the fast
OpenAI-compatible server (benchmarks/fast_openai_server.py) in its own process, runs
`trustbench run --model openai:bench` over them with a fresh store, and prints the peak resident
memory (RSS) of the trustbench process, its wall time and the sizes of what it wrote. Goal: peak
RSS under 500 MB at 100,000 requests. It asserts only that every item was answered and written.

    python benchmarks/bench_memory.py [--n 100000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cli import machine  # noqa: E402
from fast_openai_server import start_server  # noqa: E402
from harness_throughput import write_scaled_suite  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="peak memory of a large trustbench run")
    parser.add_argument("--n", type=int, default=100_000, help="requests (default 100,000)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            n = write_scaled_suite(work / "data", args.n)
            run_dir = work / "run"
            command = [
                sys.executable, "-m", "trustbench", "run", "--model", "openai:bench",
                "--base-url", server.base_url, "--data", str(work / "data"),
                "--concurrency", str(args.concurrency), "--store", str(work / "store.sqlite"),
                "--out", str(run_dir), "--no-progress",
            ]  # fmt: skip
            env = {**os.environ, "OPENAI_API_KEY": ""}
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])
            )
            # A fresh interpreter runs trustbench as its only child, so RUSAGE_CHILDREN's peak
            # is trustbench's own (this script's children include the server).
            wrapper = (
                "import subprocess, sys, resource; "
                f"subprocess.run({command!r}, check=True, stdout=subprocess.DEVNULL); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
            )
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-c", wrapper],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            # A large run judges in a forked process of its own: RUSAGE_CHILDREN gives the
            # larger of the two peaks, so the sum of both processes is sampled as well.
            sampled = _sample_tree(process)
            stdout, stderr = process.communicate()
            output = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            seconds = time.perf_counter() - started
            if output.returncode != 0:
                raise SystemExit(f"trustbench run failed:\n{output.stderr[-3000:]}")
            peak_mib = int(output.stdout.split()[-1]) / 1024
            results = json.loads((run_dir / "results.json").read_text())
            rows = sum(1 for _ in (run_dir / "responses.jsonl").open())
            sizes = {
                name: (run_dir / name).stat().st_size / 2**20
                for name in ("responses.jsonl", "results.json")
            }
            store_mib = (work / "store.sqlite").stat().st_size / 2**20
            served = server.served()
    finally:
        server.stop()
    # a file two tasks read (safety/jailbreak.json) is requested once and judged twice
    judged = sum(task["n"] for task in results["tasks"].values())
    if judged < n or rows != judged or served != n:
        raise SystemExit(f"expected {n} requests, got {judged} judged, {rows} rows, {served} calls")
    print(f"machine: {machine()}")
    print(f"requests: {n}, concurrency {args.concurrency}, fast local server in its own process")
    print(f"trustbench run: {seconds:.1f} s ({n / seconds:,.0f} requests/s)")
    print(
        f"peak RSS of the trustbench process (the larger of the run's and its judging "
        f"process's, from getrusage): {peak_mib:,.0f} MiB (goal: under 500 MB)"
    )
    if sampled is not None:
        print(
            f"sampled peaks: the run's process {sampled['run']:,.0f} MiB, its judging process "
            f"{sampled['judging']:,.0f} MiB (0: none forked), both together "
            f"{sampled['together']:,.0f} MiB"
        )
    print(
        f"written: responses.jsonl {sizes['responses.jsonl']:.1f} MiB, results.json "
        f"{sizes['results.json']:.2f} MiB; store {store_mib:.1f} MiB"
    )


def _sample_tree(process: subprocess.Popen) -> dict[str, float] | None:
    """Peak resident memory (MiB), sampled every quarter of a second until ``process`` ends:
    of the trustbench process (``run``, the wrapper's child), of its judging process
    (``judging``, the run's child, when it forks one) and of both together (``together``).
    None without psutil."""
    try:
        import psutil
    except ImportError:
        process.wait()
        return None
    peaks = {"run": 0, "judging": 0, "together": 0}
    while process.poll() is None:
        try:
            wrapper = psutil.Process(process.pid)
            together = 0
            for child in wrapper.children(recursive=True):
                rss = child.memory_info().rss
                role = "run" if child.ppid() == wrapper.pid else "judging"
                peaks[role] = max(peaks[role], rss)
                together += rss
            peaks["together"] = max(peaks["together"], together)
        except psutil.Error:
            pass
        time.sleep(0.25)
    return {role: peak / 2**20 for role, peak in peaks.items()}


if __name__ == "__main__":
    main()
