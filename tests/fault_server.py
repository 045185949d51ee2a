"""An OpenAI-compatible server for tests that injects faults, on 127.0.0.1 only.

It runs its own asyncio loop in a thread and speaks HTTP/1.1 with keep-alive, so a client's
pooled connections are exercised as with a real server. Every request whose body arrived is a
*hit*; a fault is injected on a prompt's first attempts according to ``plan`` (entry ``k`` goes
to the ``k``-th distinct prompt to arrive, cycling), so the number of injected faults is fixed
whatever the order of arrival, and a correct client makes exactly ``prompts + injected`` hits.

With ``max_concurrent`` it answers 429 (Retry-After: ``retry_after``) to any request above that
many in progress. ``kill()`` (or ``kill_after`` answers) stops listening and drops every open
connection at once, like a crashed replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any


class Fault(Enum):
    ERROR_500 = "500"
    BAD_GATEWAY = "502"
    RATE_LIMITED = "429"  # with Retry-After
    UNAVAILABLE = "503"  # with Retry-After
    HANG = "hang"  # reads the request and never answers (until the client gives up)
    DROP = "drop"  # closes the connection without a word
    RESET = "reset"  # closes it with a TCP reset
    TRUNCATED_JSON = "truncated-json"  # 200, a body cut in half (Content-Length matches the cut)
    CUT_BODY = "cut-body"  # 200, Content-Length of the whole body, half sent, then closed
    EMPTY_CHOICES = "empty-choices"  # 200, {"choices": []}
    NULL_CONTENT = "null-content"  # 200, a message with no content
    SLOW_BODY = "slow-body"  # 200 and a few bytes of the body, then nothing past the timeout
    BAD_REQUEST = "400"  # a permanent failure; its message echoes the request's credentials
    UNAUTHORIZED = "401"  # the key is refused


TRANSIENT_FAULTS = tuple(f for f in Fault if f not in (Fault.BAD_REQUEST, Fault.UNAUTHORIZED))
PlanEntry = Fault | tuple[Fault, ...] | None


def default_reply(messages: list[dict[str, Any]]) -> str:
    return f"answer to: {messages[-1]['content']}"


class FaultServer:
    def __init__(
        self,
        plan: Sequence[PlanEntry] = (),
        reply: Callable[[list[dict[str, Any]]], str] = default_reply,
        delay: float = 0.0,
        max_concurrent: int | None = None,
        retry_after: str = "0",
        hang_for: float = 30.0,
        kill_after: int | None = None,
        on_hit: Callable[[int], None] | None = None,
    ):
        self.plan = list(plan)
        self.reply = reply
        self.delay = delay
        self.max_concurrent = max_concurrent
        self.retry_after = retry_after
        self.hang_for = hang_for
        self.kill_after = kill_after
        self.on_hit = on_hit
        self.hits = 0
        self.injected: Counter[Fault] = Counter()
        self.rejected = 0  # 429s for going over max_concurrent
        self.answered: Counter[str] = Counter()  # request -> complete 200 answers sent
        self.active = 0
        self.peak_active = 0
        self.killed = False
        self._attempts: Counter[str] = Counter()
        self._assigned: dict[str, tuple[Fault, ...]] = {}
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    # -- life cycle -----------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
            self.port = self._server.sockets[0].getsockname()[1]

        self._loop.run_until_complete(start())
        self._ready.set()
        self._loop.run_forever()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    def __enter__(self) -> FaultServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._shutdown)
            self._thread.join(10)

    def _shutdown(self) -> None:
        self._kill()
        self._loop.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def kill(self) -> None:
        """Crash now: stop listening and drop every connection (callable from any thread)."""
        done = threading.Event()

        def go() -> None:
            self._kill()
            done.set()

        self._loop.call_soon_threadsafe(go)
        done.wait(10)

    def _kill(self) -> None:
        if self.killed:
            return
        self.killed = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()

    # -- counts ---------------------------------------------------------------------------------

    @property
    def injected_total(self) -> int:
        return sum(self.injected.values()) + self.rejected

    @property
    def answered_total(self) -> int:
        return sum(self.answered.values())

    # -- HTTP -----------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.killed:
            writer.transport.abort()
            return
        self._writers.add(writer)
        try:
            while not self.killed:
                request = await self._read_request(reader)
                if request is None or self.killed:
                    break
                if not await self._respond(*request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # shutting down: end quietly (a cancelled handler is logged as an error)
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _read_request(
        self, reader: asyncio.StreamReader
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        line = await reader.readline()
        if not line:
            return None
        headers: dict[str, str] = {}
        while True:
            header = await reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        return (json.loads(await reader.readexactly(length)) if length else {}), headers

    def _fault_for(self, key: str) -> Fault | None:
        if key not in self._assigned:
            entry = self.plan[len(self._assigned) % len(self.plan)] if self.plan else None
            if entry is None:
                entry = ()
            self._assigned[key] = entry if isinstance(entry, tuple) else (entry,)
        attempt = self._attempts[key]
        self._attempts[key] += 1
        faults = self._assigned[key]
        return faults[attempt] if attempt < len(faults) else None

    async def _respond(
        self,
        body: dict[str, Any],
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer one request; False when the connection is to be closed."""
        self.hits += 1
        if self.on_hit is not None:
            self.on_hit(self.hits)
        key = json.dumps(body, sort_keys=True)  # the request's identity: model, messages, params
        if self.max_concurrent is not None and self.active >= self.max_concurrent:
            self.rejected += 1
            return await self._send_status(writer, 429, {"Retry-After": self.retry_after})
        fault = self._fault_for(key)
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.killed:
                return False
            if fault is not None:
                self.injected[fault] += 1
                return await self._inject(fault, headers, reader, writer)
            data = json.dumps(self._completion(body, self.reply(body["messages"]))).encode()
            # counted as it is written, with no await between: a kill cannot fall in between
            writer.write(self._head(200, len(data)) + data)
            self.answered[key] += 1
            if self.kill_after is not None and self.answered_total >= self.kill_after:
                self._kill()
                return False
            await writer.drain()
            return True
        finally:
            self.active -= 1

    async def _inject(
        self,
        fault: Fault,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        if fault in (Fault.ERROR_500, Fault.BAD_GATEWAY, Fault.UNAUTHORIZED):
            return await self._send_status(writer, int(fault.value), {})
        if fault is Fault.BAD_REQUEST:
            echo = headers.get("authorization", "no credentials")
            data = json.dumps({"error": {"message": f"invalid request ({echo})"}}).encode()
            await self._send(writer, 400, data)
            return True
        if fault in (Fault.RATE_LIMITED, Fault.UNAVAILABLE):
            return await self._send_status(
                writer, int(fault.value), {"Retry-After": self.retry_after}
            )
        if fault is Fault.HANG:
            await self._wait_for_close(reader)
            return False
        if fault is Fault.DROP:
            writer.close()
            return False
        if fault is Fault.RESET:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        full = json.dumps(self._completion({}, "a complete answer that never arrives")).encode()
        if fault is Fault.TRUNCATED_JSON:
            await self._send(writer, 200, full[: len(full) // 2])
            return True
        if fault is Fault.CUT_BODY:
            writer.write(self._head(200, len(full)) + full[: len(full) // 2])
            await writer.drain()
            writer.close()
            return False
        if fault is Fault.EMPTY_CHOICES:
            await self._send(writer, 200, json.dumps({"id": "x", "choices": []}).encode())
            return True
        if fault is Fault.NULL_CONTENT:
            choice = {"index": 0, "message": {"role": "assistant", "content": None}}
            await self._send(writer, 200, json.dumps({"choices": [choice]}).encode())
            return True
        if fault is Fault.SLOW_BODY:
            writer.write(self._head(200, len(full)) + full[:10])
            await writer.drain()
            await self._wait_for_close(reader)
            return False
        raise AssertionError(fault)

    async def _wait_for_close(self, reader: asyncio.StreamReader) -> None:
        """Hold the connection until the client gives up on it (or hang_for passes)."""
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(reader.read(), self.hang_for)

    @staticmethod
    def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "id": "cmpl-fault",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    @staticmethod
    def _head(status: int, length: int, headers: dict[str, str] | None = None) -> bytes:
        lines = [f"HTTP/1.1 {status} X", "Content-Type: application/json"]
        lines += [f"Content-Length: {length}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _send(
        self, writer: asyncio.StreamWriter, status: int, data: bytes, headers: dict | None = None
    ) -> None:
        writer.write(self._head(status, len(data), headers) + data)
        await writer.drain()

    async def _send_status(
        self, writer: asyncio.StreamWriter, status: int, headers: dict[str, str]
    ) -> bool:
        data = json.dumps({"error": {"message": f"injected {status}"}}).encode()
        await self._send(writer, status, data, headers)
        return True
