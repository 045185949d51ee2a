"""Micro-batching: concurrent ``generate`` calls become batches for backends that batch natively.

The engine sends requests one by one with bounded concurrency; a batched backend (transformers,
vLLM) gathers those in flight into batches of requests with the same sampling params and runs
each batch in a worker thread. So the backend protocol stays one request per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .base import GenerationRequest, GenerationResult

T = TypeVar("T")
BatchFunction = Callable[[list[GenerationRequest]], list[GenerationResult]]


async def run_in_daemon_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a daemon thread: unlike ``asyncio.to_thread``, a long batch still
    running when the user presses Ctrl-C does not hold the process open."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def target() -> None:
        try:
            result, error = function(*args), None
        except BaseException as exc:  # handed to the awaiting coroutine
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (interrupted run)
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, daemon=True, name="trustbench-batch").start()
    return await done


class MicroBatcher:
    """Queues requests and runs them ``batch_size`` at a time through ``run_batch``."""

    def __init__(self, run_batch: BatchFunction, batch_size: int):
        self._run_batch = run_batch
        self.batch_size = max(1, batch_size)
        self._pending: list[tuple[GenerationRequest, asyncio.Future[GenerationResult]]] = []
        self._drain: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, request: GenerationRequest) -> GenerationResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[GenerationResult] = loop.create_future()
        self._pending.append((request, future))
        if self._drain is None or self._drain.done():
            self._drain = loop.create_task(self._drain_queue())
        return await future

    def _take_batch(self) -> list[tuple[GenerationRequest, asyncio.Future[GenerationResult]]]:
        """The oldest request and the next ones with the same sampling params, in order."""
        self._pending = [(r, f) for r, f in self._pending if not f.done()]  # drop cancelled
        if not self._pending:
            return []
        sampling = self._pending[0][0].sampling
        batch, rest = [], []
        for entry in self._pending:
            if len(batch) < self.batch_size and entry[0].sampling == sampling:
                batch.append(entry)
            else:
                rest.append(entry)
        self._pending = rest
        return batch

    async def _drain_queue(self) -> None:
        await asyncio.sleep(0)  # let the other requests sent at the same moment join the queue
        while batch := self._take_batch():
            requests = [request for request, _ in batch]
            try:
                results = await run_in_daemon_thread(self._run_batch, requests)
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    def cancel(self) -> None:
        """Fail what is queued (the run is closing); a batch already running finishes on its own."""
        for _, future in self._pending:
            if not future.done():
                future.set_result(GenerationResult(None, error="cancelled"))
        self._pending = []
        if self._drain is not None and not self._drain.done():
            self._drain.cancel()
