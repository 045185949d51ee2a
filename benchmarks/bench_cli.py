"""Start-up time of `trustbench --help` and wall time / peak memory of the default `trustbench run`.

    python benchmarks/bench_cli.py            # start-up only
    python benchmarks/bench_cli.py --run      # also the default run, on a fresh store

Prints what it measured and on which machine; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def time_command(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", action="store_true", help="also time the default trustbench run")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    help_cmd = [sys.executable, "-m", "trustbench", "--help"]
    bare_cmd = [sys.executable, "-c", "pass"]
    time_command(help_cmd)  # warm the file cache
    helps = [time_command(help_cmd) for _ in range(args.repeat)]
    bares = [time_command(bare_cmd) for _ in range(args.repeat)]
    median_help, median_bare = statistics.median(helps), statistics.median(bares)
    print(
        f"trustbench --help: median {median_help * 1000:.0f} ms over {args.repeat} runs "
        f"(bare python start-up {median_bare * 1000:.0f} ms; ratio {median_help / median_bare:.2f})"
    )
    if args.run:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "TRUSTBENCH_STORE": os.path.join(tmp, "store.sqlite")}
            command = [sys.executable, "-m", "trustbench", "run", "--out", os.path.join(tmp, "run")]
            seconds = time_command(command, env)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"default trustbench run: {seconds:.1f} s wall, peak RSS {peak_mib:.0f} MiB (largest child)"
        )


if __name__ == "__main__":
    main()
