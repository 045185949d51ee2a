"""Adaptive concurrency for one endpoint: additive increase, multiplicative decrease (AIMD).

The limit starts at the cap the user chose. A 429 or 503 halves it (once per round of requests:
answers to requests sent before the last cut do not cut again) and pauses new requests for as
long as Retry-After says. After ``limit`` successes in a row it grows by one, up to the cap, so it
settles just under what the server can take and finds its way back when the server recovers.

The class is plain state with the time passed in, so it is tested without a clock or a loop.
"""

from __future__ import annotations


class AdaptiveLimit:
    """How many requests one endpoint may have in flight now."""

    def __init__(self, cap: int, floor: int = 1, start: int | None = None):
        if cap < 1 or floor < 1:
            raise ValueError("cap and floor must be at least 1")
        self.cap = cap
        self.floor = min(floor, cap)
        self.limit = min(cap, max(self.floor, start or cap))
        self.lowest = self.limit
        self.in_flight = 0
        self.paused_until = 0.0
        self.decreases = 0
        self._epoch = 0
        self._successes = 0

    def ready(self, now: float) -> bool:
        """True when one more request may start."""
        return self.in_flight < self.limit and now >= self.paused_until

    def acquire(self) -> int:
        """Count a request as started; the token says which round it belongs to."""
        self.in_flight += 1
        return self._epoch

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def on_success(self) -> None:
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            if self.limit < self.cap:
                self.limit += 1

    def on_overload(self, token: int, now: float, retry_after: float | None = None) -> bool:
        """The server said it is overloaded (429 or 503). Returns True when the limit was cut."""
        self._successes = 0
        if retry_after:
            self.paused_until = max(self.paused_until, now + retry_after)
        if token != self._epoch:
            return False  # sent before the last cut: that cut already answered this overload
        self._epoch += 1
        self.decreases += 1
        self.limit = max(self.floor, self.limit // 2)
        self.lowest = min(self.lowest, self.limit)
        return True

    def __repr__(self) -> str:
        return f"AdaptiveLimit(limit={self.limit}/{self.cap}, in_flight={self.in_flight})"
