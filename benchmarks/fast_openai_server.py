"""A fast OpenAI-compatible chat-completions server for benchmarks, on 127.0.0.1 only.

It answers every ``POST .../chat/completions`` at once with the same short completion, over
HTTP/1.1 keep-alive, on a bare asyncio protocol (no framework, no JSON parsing of requests), so
that the client, not the server, is what a benchmark measures. ``GET /stats`` returns the number
of completions served so far. Run it in its own process so it does not share the client's CPU:

    python benchmarks/fast_openai_server.py [--port 0] [--reply TEXT] [--latency-ms 0]

``--latency-ms`` delays each answer (without blocking the server), to stand for a model that
takes that long per request, so that the server rather than the client is the bottleneck.

It prints ``port <N>`` on stdout once it listens, then serves until killed.
``start_server()`` does that from Python and returns the process, the port and a stats helper.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass

DEFAULT_REPLY = "I'm sorry, but I can't help with that."


def _completion(reply: str) -> bytes:
    body = json.dumps(
        {
            "id": "cmpl-bench",
            "object": "chat.completion",
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
        }
    ).encode()
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    return head + body


def _plain(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class _Counter:
    served = 0


class _Protocol(asyncio.Protocol):
    def __init__(self, completion: bytes, counter: _Counter, latency: float):
        self.completion = completion
        self.counter = counter
        self.latency = latency
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            length = 0
            at = head.find(b"content-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at)
                length = int(head[at + 15 : stop if stop >= 0 else None])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            assert self.transport is not None
            if head.startswith(b"post") and b"/chat/completions" in head.split(b"\r\n", 1)[0]:
                self.counter.served += 1
                if self.latency:
                    loop = asyncio.get_running_loop()
                    loop.call_later(self.latency, self._answer)
                else:
                    self.transport.write(self.completion)
            elif head.startswith(b"get /stats"):
                body = json.dumps({"served": self.counter.served}).encode()
                self.transport.write(_plain("200 OK", body))
            else:
                self.transport.write(_plain("404 Not Found", b'{"error": "not found"}'))

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.completion)


async def serve(port: int, reply: str, latency: float = 0.0) -> None:
    loop = asyncio.get_running_loop()
    completion = _completion(reply)
    counter = _Counter()
    server = await loop.create_server(
        lambda: _Protocol(completion, counter, latency), "127.0.0.1", port, backlog=1024
    )
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


@dataclass
class RunningServer:
    process: subprocess.Popen
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def served(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as reply:
            return int(json.loads(reply.read())["served"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(reply: str = DEFAULT_REPLY, latency_ms: float = 0.0) -> RunningServer:
    """Start the server in its own process on a free port of 127.0.0.1."""
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--port",
            "0",
            "--reply",
            reply,
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("port "):
        process.kill()
        raise RuntimeError(f"the benchmark server did not start: {line!r}")
    return RunningServer(process, int(line.split()[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.reply, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
