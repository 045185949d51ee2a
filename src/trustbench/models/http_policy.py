"""Timeouts, retries and endpoint ejection of the OpenAI-compatible client, in one value.

Kept apart from the client so that model specs can carry it without importing httpx.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class HTTPPolicy:
    """How long to wait, how often to retry, when to take an endpoint out.

    ``timeout`` is the longest wait for the next bytes of a reply (a server that hangs, or a body
    that stalls, fails the attempt after it). A failed attempt waits ``backoff * 2**attempt``
    seconds (at most ``max_backoff``) with jitter, or longer if the server sent Retry-After
    (honoured up to ``max_retry_after``). An endpoint that fails ``eject_after`` attempts in a row
    is taken out for ``eject_for`` seconds, doubling for each failed probe up to ``max_eject_for``.
    """

    timeout: float = 300.0
    connect_timeout: float = 10.0
    max_attempts: int = 6
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    eject_after: int = 3
    eject_for: float = 2.0
    max_eject_for: float = 60.0

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.connect_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_attempts < 1 or self.eject_after < 1:
            raise ValueError("max_attempts and eject_after must be at least 1")

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based).

        ``jitter`` in [0, 1) spreads retries over the upper half of the backoff window, so
        requests that failed together do not come back together.
        """
        delay = min(self.max_backoff, self.backoff * 2**attempt) * (0.5 + jitter / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay

    def ejection(self, previous_ejections: int) -> float:
        return min(self.max_eject_for, self.eject_for * 2**previous_ejections)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
