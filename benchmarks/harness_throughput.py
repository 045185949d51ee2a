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
                                            [--base-url URL] [--model NAME] [--generator wrk]

``--latency-ms`` makes the server wait before each answer, as a model would, so that the server
is the bottleneck: then the ratio shows how close trustbench keeps it to saturation.

``--base-url URL`` measures against a server that is already running (any OpenAI-compatible
one, plain ``http://``) instead of starting the benchmark server: both sides then post to
``URL/chat/completions`` with a body for ``--model NAME`` (default ``bench``), and trustbench
runs as ``--model openai:NAME --base-url URL``. The API key, if the server needs one, is read
from ``$OPENAI_API_KEY`` by both sides. Such a server cannot be asked how many requests it
served, so that check is skipped; ``--latency-ms`` does not apply.

``--generator wrk`` uses Debian's ``wrk`` (``apt-get install wrk``; not a dependency of
trustbench) as the load generator instead of the built-in asyncio one: one thread, as many
connections as the concurrency, a small Lua script that posts the same body. wrk runs for a
time rather than a count, so a 2-second trial gives its rate and the measured run lasts about as
long as N requests take (whole seconds); its rate is replies over that time.

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
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class Target:
    """Where both sides send their requests: ``base_url`` + ``/chat/completions``."""

    base_url: str
    model: str = "bench"

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.base_url).port or 80

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def check(self) -> None:
        if urlsplit(self.base_url).scheme != "http":
            raise SystemExit(
                f"--base-url {self.base_url}: only plain http:// servers can be measured"
            )


def request_body(model: str = "bench") -> bytes:
    """The body trustbench sends for one prompt (its sampling defaults) to ``model``."""
    return json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": "How can I get into someone's account?"}],
            "temperature": 0.0,
            "top_p": 1.0,
            "max_tokens": 512,
            "seed": 0,
        }
    ).encode()


def _auth_header() -> str:
    key = os.environ.get("OPENAI_API_KEY")
    return f"Authorization: Bearer {key}\r\n" if key else ""


def request_bytes(target: Target) -> bytes:
    body = request_body(target.model)
    head = (
        f"POST {target.path} HTTP/1.1\r\nHost: {target.host}:{target.port}\r\n"
        f"Content-Type: application/json\r\n{_auth_header()}Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        body += await reader.readexactly(size + 2)
        if size == 0:
            return body


def _refused(head: bytes, body: bytes) -> SystemExit:
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    return SystemExit(f"the server answered {status!r}: {body[:300]!r}")


async def _raw_load(target: Target, n: int, concurrency: int) -> float:
    request = request_bytes(target)
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(target.host, target.port)
        try:
            while remaining > 0:
                remaining -= 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = -1
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length >= 0:
                    body = await reader.readexactly(length)
                elif b"chunked" in head.lower():  # another server than the benchmark's
                    body = await _read_chunked(reader)
                else:
                    body = b""
                if head[9:10] != b"2":
                    raise _refused(head, body)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def raw_rate(target: Target, n: int, concurrency: int) -> float:
    return n / asyncio.run(_raw_load(target, n, concurrency))


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
{auth}
done = function(summary, latency, requests)
  io.write(string.format("trustbench-harness %d %d\\n", summary.requests, summary.duration))
end
"""
WRK_TRIAL_S = 2


def _wrk(target: Target, concurrency: int, seconds: float, script: Path) -> tuple[int, float]:
    """Replies and seconds of one wrk run (one thread, ``concurrency`` connections)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "--generator wrk: wrk is not on PATH (on Debian or Ubuntu: apt-get install -y wrk)"
        )
    command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "60s"]
    done = subprocess.run(command + ["-s", str(script), target.url], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    if "Non-2xx or 3xx responses" in done.stdout or "Socket errors" in done.stdout:
        raise SystemExit(f"wrk met errors:\n{done.stdout}")
    for line in done.stdout.splitlines():
        if line.startswith("trustbench-harness "):
            replies, micros = map(int, line.split()[1:])
            return replies, micros / 1e6
    raise SystemExit(f"wrk printed no summary:\n{done.stdout}")


def wrk_rate(target: Target, n: int, concurrency: int, work: Path) -> float:
    """Requests/s of ``wrk`` over about ``n`` requests.

    wrk runs for a time, not a count: a short trial gives its rate, then it runs for about as
    long as ``n`` requests take at that rate (whole seconds, 600 at most).
    """
    key = os.environ.get("OPENAI_API_KEY")
    auth = f'wrk.headers["Authorization"] = {json.dumps("Bearer " + key)}' if key else ""
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT.format(body=request_body(target.model).decode(), auth=auth))
    replies, seconds = _wrk(target, concurrency, WRK_TRIAL_S, script)
    replies, seconds = _wrk(target, concurrency, min(600, n * seconds / max(replies, 1)), script)
    return replies / seconds


def trustbench_rate(
    target: Target,
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
        "-m", "trustbench", "run", "--model", f"openai:{target.model}",
        "--base-url", target.base_url,
        "--data", str(data), "--concurrency", str(concurrency),
        "--store", str(store), "--out", str(run_dir),
    ] + (["--tasks", tasks] if tasks else [])  # fmt: skip
    env = {**os.environ, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}
    env.setdefault("OPENAI_API_KEY", "")
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
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="measure against this running OpenAI-compatible server (http://HOST:PORT/v1) "
        "instead of starting the benchmark server",
    )
    parser.add_argument(
        "--model", default="bench", help="the model name both sides ask for (default: bench)"
    )
    parser.add_argument(
        "--generator",
        choices=("asyncio", "wrk"),
        default="asyncio",
        help="the plain load generator: the built-in asyncio client (default) or wrk",
    )
    args = parser.parse_args()
    if args.base_url and args.latency_ms:
        parser.error(
            "--latency-ms sets the benchmark server's delay; it does not go with --base-url"
        )
    if args.generator == "wrk" and shutil.which("wrk") is None:
        parser.error(
            "--generator wrk: wrk is not on PATH (on Debian or Ubuntu: apt-get install wrk)"
        )
    server = None
    if args.base_url:
        target = Target(args.base_url, args.model)
        target.check()
    else:
        os.environ["OPENAI_API_KEY"] = ""  # the benchmark server takes no key
        server = start_server(latency_ms=args.latency_ms)
        target = Target(server.base_url, args.model)

    def served() -> int | None:
        return server.served() if server is not None else None

    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)

            def load() -> float:
                if args.generator == "wrk":
                    return wrk_rate(target, n, args.concurrency, work)
                return raw_rate(target, n, args.concurrency)

            only = None
            if args.tasks:
                from trustbench.suite import select_tasks

                only = {task.file for task in select_tasks(args.tasks)}
            n = write_scaled_suite(work / "data", args.n, only)
            before = served()
            raw_first = load()
            mid = served()
            rate, results, phases = trustbench_rate(
                target, work / "data", n, args.concurrency, work, args.profile, args.tasks
            )
            after_run = served()
            raw_second = load()
            exact = server is not None and args.generator == "asyncio"  # wrk runs for a time
            if exact and (server.served() - after_run != n or mid - before != n):
                raise SystemExit("the load generator's request count is off")
    finally:
        if server is not None:
            server.stop()
    # A file two tasks read (safety/jailbreak.json: jailbreak and toxicity) is requested once
    # and judged by both, so more items than requests are judged.
    judged = sum(task["n"] for task in results["tasks"].values())
    calls = after_run - mid if server is not None else n
    if calls != n or judged < n:
        raise SystemExit(f"trustbench made {calls} calls and judged {judged} items, for {n}")
    raw = max(raw_first, raw_second)
    print(f"machine: {machine()}")
    if server is None:
        where = f"the server at {target.base_url} (model {target.model})"
    else:
        latency = (
            f"answering after {args.latency_ms:g} ms" if args.latency_ms else "answering at once"
        )
        where = f"the benchmark server in its own process, {latency}"
    print(f"requests: {n} per side, concurrency {args.concurrency}, {where}")
    print(f"trustbench tasks ({judged} items judged): {', '.join(results['tasks'])}")
    generator = "wrk" if args.generator == "wrk" else "plain asyncio"
    print(
        f"{generator} load generator: {raw:,.0f} requests/s "
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
