"""Replicas of one model: pick the least busy endpoint, take out one that keeps failing.

Each endpoint has its own adaptive limit (:class:`AdaptiveLimit`). A request goes to the
endpoint with the fewest requests in flight among those with room; waiting requests are served
first come, first served. An endpoint that fails ``eject_after`` attempts in a row (connection
errors, timeouts, 5xx, malformed replies) is taken out while another endpoint is in; once its
time out has passed, one request probes it: an answer brings it back, a failure takes it out for
twice as long. The last endpoint in is never taken out, so with one endpoint, or when every
replica fails, requests are retried with backoff exactly as without replicas.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .http_policy import HTTPPolicy
from .limiter import AdaptiveLimit
from .spec import redact_url


class Signal(Enum):
    """What an attempt says about the endpoint (not about the request)."""

    OK = "ok"  # a usable answer
    REJECTED = "rejected"  # a permanent 4xx: the server is fine, the request is not
    OVERLOADED = "overloaded"  # 429: slow down, the server is alive
    UNAVAILABLE = "unavailable"  # 503: slow down, and it counts as a failure
    FAILED = "failed"  # connection error, timeout, 5xx, malformed reply
    CANCELLED = "cancelled"  # the caller stopped waiting; says nothing


@dataclass(eq=False)
class Endpoint:
    url: str
    limit: AdaptiveLimit
    client: Any = None
    failures: int = 0
    ejected_until: float | None = None
    ejections: int = 0
    probing: bool = False
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    overloaded: int = 0
    times_ejected: int = 0
    last_error: str = ""

    @property
    def label(self) -> str:
        return redact_url(self.url)

    def stats(self) -> dict[str, Any]:
        return {
            "url": self.label,
            "sent": self.sent,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "overloaded": self.overloaded,
            "times_taken_out": self.times_ejected,
            "concurrency": self.limit.limit,
            "concurrency_lowest": self.limit.lowest,
            "concurrency_cap": self.limit.cap,
            "out": self.ejected_until is not None,
            "last_error": self.last_error or None,
        }


@dataclass(eq=False)
class Lease:
    """One request's place on one endpoint; give it back with :meth:`EndpointPool.release`."""

    endpoint: Endpoint
    token: int
    probe: bool = False


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[Lease]
    avoid: Collection[Endpoint] = ()


@dataclass(eq=False)
class EndpointPool:
    endpoints: Sequence[Endpoint]
    policy: HTTPPolicy = field(default_factory=HTTPPolicy)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if not self.endpoints:
            raise ValueError("an endpoint pool needs at least one endpoint")
        self._waiters: deque[_Waiter] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._turn = 0

    # -- choosing -------------------------------------------------------------------------------

    def _pick(self, now: float, avoid: Collection[Endpoint]) -> Lease | None:
        count = len(self.endpoints)
        best: tuple[tuple[int, int, int], Endpoint] | None = None
        for index, endpoint in enumerate(self.endpoints):
            if endpoint.ejected_until is not None:
                # its time out is over: a request that has not failed yet probes it (one that has
                # goes where it is likelier to succeed, so probing costs no request its attempts)
                if now >= endpoint.ejected_until and not endpoint.probing and not avoid:
                    endpoint.probing = True
                    return self._lease(endpoint, probe=True)
                continue
            if not endpoint.limit.ready(now):
                continue
            rank = (
                endpoint in avoid,
                endpoint.limit.in_flight,
                (index - self._turn) % count,
            )
            if best is None or rank < best[0]:
                best = (rank, endpoint)
        if best is None:
            return None
        self._turn = (self._turn + 1) % count
        return self._lease(best[1])

    def _lease(self, endpoint: Endpoint, probe: bool = False) -> Lease:
        endpoint.sent += 1
        return Lease(endpoint, endpoint.limit.acquire(), probe)

    # -- waiting --------------------------------------------------------------------------------

    async def acquire(self, avoid: Collection[Endpoint] = ()) -> Lease:
        """A place on the least busy endpoint, preferring any not in ``avoid`` that has room."""
        now = self.clock()
        if not self._waiters:
            lease = self._pick(now, avoid)
            if lease is not None:
                return lease
        waiter = _Waiter(asyncio.get_running_loop().create_future(), avoid)
        self._waiters.append(waiter)
        self._schedule(now)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(waiter.future.result(), Signal.CANCELLED)
            raise

    def _wake(self) -> None:
        self._timer = None
        now = self.clock()
        while self._waiters:
            waiter = self._waiters[0]
            if waiter.future.done():
                self._waiters.popleft()
                continue
            lease = self._pick(now, waiter.avoid)
            if lease is None:
                break
            self._waiters.popleft()
            waiter.future.set_result(lease)
        self._schedule(now)

    def _schedule(self, now: float) -> None:
        """Wake again when a pause or a time out ends, if anyone is waiting then."""
        if not self._waiters or self._timer is not None:
            return
        times = [e.limit.paused_until for e in self.endpoints if e.limit.paused_until > now]
        times += [
            e.ejected_until
            for e in self.endpoints
            if e.ejected_until is not None and e.ejected_until > now
        ]
        if times:
            delay = max(0.0, min(times) - now)
            self._timer = asyncio.get_running_loop().call_later(delay, self._wake)

    def poke(self) -> None:
        """Look at the clock again (for tests that move a fake clock)."""
        if self._timer is not None:
            self._timer.cancel()
        self._wake()

    # -- signals --------------------------------------------------------------------------------

    def release(
        self,
        lease: Lease,
        signal: Signal,
        retry_after: float | None = None,
        error: str = "",
    ) -> None:
        endpoint = lease.endpoint
        endpoint.limit.release()
        now = self.clock()
        if lease.probe:
            endpoint.probing = False
        if signal in (Signal.OK, Signal.REJECTED, Signal.OVERLOADED):
            endpoint.failures = 0
            if endpoint.ejected_until is not None:  # it answers again: back in
                endpoint.ejected_until = None
                endpoint.ejections = 0
        if signal is Signal.OK:
            endpoint.succeeded += 1
            endpoint.limit.on_success()
        elif signal in (Signal.OVERLOADED, Signal.UNAVAILABLE):
            endpoint.overloaded += 1
            endpoint.limit.on_overload(lease.token, now, retry_after)
        if signal in (Signal.FAILED, Signal.UNAVAILABLE):
            endpoint.failed += 1
            endpoint.last_error = error or endpoint.last_error
            self._count_failure(endpoint, lease, now)
        self._wake()

    def _count_failure(self, endpoint: Endpoint, lease: Lease, now: float) -> None:
        if endpoint.ejected_until is not None:
            if lease.probe:  # still down: out again, for longer
                self._eject(endpoint, now)
            return  # an answer to a request sent before it was taken out
        endpoint.failures += 1
        if endpoint.failures >= self.policy.eject_after and self._others_in(endpoint):
            self._eject(endpoint, now)

    def _others_in(self, endpoint: Endpoint) -> bool:
        """Taking an endpoint out only helps when another can take its requests: the last one
        in stays in, so a single endpoint (or the last survivor) is retried with backoff."""
        return any(e is not endpoint and e.ejected_until is None for e in self.endpoints)

    def _eject(self, endpoint: Endpoint, now: float) -> None:
        endpoint.ejected_until = now + self.policy.ejection(endpoint.ejections)
        endpoint.ejections += 1
        endpoint.times_ejected += 1
        endpoint.failures = 0

    def stats(self) -> list[dict[str, Any]]:
        return [endpoint.stats() for endpoint in self.endpoints]
