"""What faults and an overloaded server cost the OpenAI-compatible client.

Starts the fault-injecting test server on 127.0.0.1 and prints, for the same requests:

1. faults: requests/s and server hits per item with no faults and with a fault mix (500s, 429s,
   dropped and reset connections, truncated JSON, empty choices; no hangs, which only measure the
   timeout), so the cost of recovery shows as a ratio;
2. overload: a server that serves at most ``--server-cap`` requests at once (429 above), against
   the adaptive client started at ``--client-cap``, and against a client told the right limit; the
   ratio is how much of the ideal throughput adaptation keeps, and refusals per answer what it
   costs the server.

    python benchmarks/bench_client_faults.py [--requests 400] [--server-cap 8] [--client-cap 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fault_server import Fault, FaultServer  # noqa: E402
from trustbench.engine import Generator, Store  # noqa: E402
from trustbench.models.base import GenerationRequest  # noqa: E402
from trustbench.models.http_policy import HTTPPolicy  # noqa: E402
from trustbench.models.openai_http import OpenAIBackend  # noqa: E402
from trustbench.types import SamplingParams, request_key  # noqa: E402

POLICY = HTTPPolicy(timeout=5.0, backoff=0.02, max_backoff=0.2, eject_for=0.1)
MIX = [
    Fault.ERROR_500,
    Fault.RATE_LIMITED,
    Fault.DROP,
    Fault.RESET,
    Fault.TRUNCATED_JSON,
    Fault.EMPTY_CHOICES,
    Fault.CUT_BODY,
    Fault.BAD_GATEWAY,
] + [None] * 32  # one request in five meets a fault


def _requests(count: int, salt: str) -> list[GenerationRequest]:
    params = SamplingParams()
    out = []
    for i in range(count):
        messages = [{"role": "user", "content": f"{salt} question {i}"}]
        out.append(GenerationRequest(request_key("openai:m", params, messages), messages, params))
    return out


def _run(server: FaultServer, count: int, concurrency: int, salt: str) -> tuple[float, list]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "store.sqlite")
        generator = Generator(
            store,
            "openai:m",
            lambda: OpenAIBackend("m", server.base_url, "NO_KEY", concurrency, POLICY),
        )

        async def go():
            try:
                return await generator.run(_requests(count, salt))
            finally:
                await generator.aclose()

        start = time.perf_counter()
        outcomes = asyncio.run(go())
        elapsed = time.perf_counter() - start
        failed = sum(1 for o in outcomes.values() if o.error)
        if failed or store.count() != count:
            raise SystemExit(f"{failed} of {count} requests failed; {store.count()} stored")
        store.close()
    return count / elapsed, generator.backend_stats or []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--server-cap", type=int, default=8)
    parser.add_argument("--client-cap", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.1, help="server time per request (s)")
    args = parser.parse_args()
    n = args.requests

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{n} requests per run; server time per request {args.delay * 1000:.0f} ms; "
        f"{os.cpu_count()} CPUs, load {load:.1f}"
    )
    with FaultServer(delay=args.delay) as clean:
        clean_rate, _ = _run(clean, n, args.server_cap, "clean")
    with FaultServer(MIX, delay=args.delay) as faulty:
        fault_rate, _ = _run(faulty, n, args.server_cap, "faulty")
    print(f"\n1. faults (concurrency {args.server_cap})")
    print(f"   no faults            {clean_rate:8.1f} req/s   hits per item {clean.hits / n:.3f}")
    print(
        f"   {faulty.injected_total / n:4.0%} faulty answers  {fault_rate:8.1f} req/s   "
        f"hits per item {faulty.hits / n:.3f} (= 1 + injected {faulty.injected_total / n:.3f})"
    )
    print(f"   ratio faulty / clean {fault_rate / clean_rate:.2f}")

    with FaultServer(delay=args.delay, max_concurrent=args.server_cap) as told:
        ideal, _ = _run(told, n, args.server_cap, "told")
    with FaultServer(delay=args.delay, max_concurrent=args.server_cap) as adaptive:
        rate, stats = _run(adaptive, n, args.client_cap, "adaptive")
    print(f"\n2. overload (server serves {args.server_cap} at once, 429 above)")
    print(f"   client told the limit ({args.server_cap:3d})  {ideal:8.1f} req/s   refusals 0")
    print(
        f"   adaptive from {args.client_cap:3d}       {rate:8.1f} req/s   refusals "
        f"{adaptive.rejected} ({adaptive.rejected / n:.2f} per answer); limit went down to "
        f"{stats[0]['concurrency_lowest']}, ended at {stats[0]['concurrency']}"
    )
    print(f"   ratio adaptive / told {rate / ideal:.2f}")


if __name__ == "__main__":
    main()
