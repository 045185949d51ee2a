"""The HTTP client's parts on their own: adaptive limit, backoff policy, endpoint pool."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from trustbench.models.endpoints import Endpoint, EndpointPool, Signal
from trustbench.models.http_policy import HTTPPolicy, parse_retry_after
from trustbench.models.limiter import AdaptiveLimit
from trustbench.models.spec import parse_model_spec

# -- AdaptiveLimit ---------------------------------------------------------------------------


def test_limit_starts_at_the_cap_and_halves_once_per_round_of_overloads():
    limit = AdaptiveLimit(cap=32)
    tokens = [limit.acquire() for _ in range(32)]
    assert limit.limit == 32 and not limit.ready(0.0)
    # every request of the burst is told 429: one cut, not 32
    cuts = [limit.on_overload(token, now=0.0) for token in tokens]
    for _ in tokens:
        limit.release()
    assert cuts.count(True) == 1 and limit.limit == 16
    # a request sent after the cut that is overloaded again cuts again
    assert limit.on_overload(limit.acquire(), now=0.0) and limit.limit == 8


def test_limit_never_goes_below_the_floor():
    limit = AdaptiveLimit(cap=4, floor=1)
    for _ in range(10):
        token = limit.acquire()
        limit.on_overload(token, now=0.0)
        limit.release()
    assert limit.limit == 1 and limit.ready(0.0)


def test_limit_grows_by_one_after_a_run_of_successes_up_to_the_cap():
    limit = AdaptiveLimit(cap=4, start=2)
    for _ in range(2):
        limit.on_success()
    assert limit.limit == 3
    limit.on_success()
    limit.on_success()
    assert limit.limit == 3  # three in a row are needed at 3
    limit.on_success()
    assert limit.limit == 4
    for _ in range(100):
        limit.on_success()
    assert limit.limit == 4


def test_overload_resets_the_run_of_successes():
    limit = AdaptiveLimit(cap=8, start=4)
    for _ in range(3):
        limit.on_success()
    limit.on_overload(token=-1, now=0.0)  # a stale token: no cut, but the run starts over
    assert limit.limit == 4
    for _ in range(3):
        limit.on_success()
    assert limit.limit == 4
    limit.on_success()
    assert limit.limit == 5


def test_retry_after_pauses_new_requests():
    limit = AdaptiveLimit(cap=4)
    limit.on_overload(limit.acquire(), now=100.0, retry_after=2.5)
    limit.release()
    assert not limit.ready(101.0)
    assert limit.ready(102.5)


def test_requests_in_flight_above_a_cut_limit_drain_before_new_ones_start():
    limit = AdaptiveLimit(cap=8)
    tokens = [limit.acquire() for _ in range(8)]
    limit.on_overload(tokens[0], now=0.0)
    assert limit.limit == 4 and limit.in_flight == 8
    for _ in range(4):
        limit.release()
    assert not limit.ready(0.0)
    limit.release()
    assert limit.ready(0.0)


# -- HTTPPolicy --------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    policy = HTTPPolicy(backoff=1.0, max_backoff=8.0)
    assert policy.delay(0, None, jitter=0.0) == 0.5
    assert policy.delay(0, None, jitter=0.999) == pytest.approx(1.0, abs=0.001)
    assert policy.delay(2, None, jitter=0.0) == 2.0
    assert policy.delay(10, None, jitter=0.999) == pytest.approx(8.0, abs=0.01)


def test_retry_after_is_honoured_up_to_its_cap():
    policy = HTTPPolicy(backoff=0.01, max_retry_after=60.0)
    assert policy.delay(0, 3.0, jitter=0.5) == 3.0
    assert policy.delay(0, 600.0, jitter=0.5) == 60.0
    assert policy.delay(0, 0.0, jitter=0.0) == 0.005


def test_retry_after_header_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0.25 ") == 0.25
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after(date, now=1_000_000.0) == pytest.approx(30.0)


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        HTTPPolicy(timeout=0)
    with pytest.raises(ValueError):
        HTTPPolicy(max_attempts=0)


def test_base_urls_repeated_or_comma_separated():
    spec = parse_model_spec("openai:m", ["http://a:1/v1", "http://b:2/v1/,http://c:3/v1"])
    assert spec.base_urls == ("http://a:1/v1", "http://b:2/v1", "http://c:3/v1")
    assert spec.base_url == "http://a:1/v1"
    assert spec.describe()["base_urls"] == list(spec.base_urls)
    assert parse_model_spec("openai:m", "http://a/v1,http://a/v1").base_urls == ("http://a/v1",)
    assert spec.model_id == parse_model_spec("openai:m", "http://z/v1").model_id


# -- EndpointPool ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _pool(caps=(4, 4), **policy) -> tuple[EndpointPool, Clock]:
    clock = Clock()
    endpoints = [Endpoint(f"http://e{i}/v1", AdaptiveLimit(cap)) for i, cap in enumerate(caps)]
    defaults = {"eject_after": 3, "eject_for": 10.0, "max_eject_for": 40.0}
    return EndpointPool(endpoints, HTTPPolicy(**{**defaults, **policy}), clock), clock


def test_requests_go_to_the_endpoint_with_fewest_outstanding():
    async def go():
        pool, _ = _pool()
        a, b = pool.endpoints
        leases = [await pool.acquire() for _ in range(4)]
        assert [lease.endpoint for lease in leases].count(a) == 2  # spread evenly
        for lease in leases:
            if lease.endpoint is a:
                pool.release(lease, Signal.OK)
        # a has none in flight, b two: the next two go to a
        assert (await pool.acquire()).endpoint is a
        assert (await pool.acquire()).endpoint is a
        assert a.limit.in_flight == b.limit.in_flight == 2

    asyncio.run(go())


def test_a_retry_avoids_the_endpoint_that_just_failed():
    async def go():
        pool, _ = _pool()
        a, b = pool.endpoints
        assert (await pool.acquire(avoid={a})).endpoint is b

    asyncio.run(go())


def test_a_retry_prefers_endpoints_it_has_not_failed_on():
    async def go():
        pool, _ = _pool(caps=(4, 4, 4))
        a, b, c = pool.endpoints
        for _ in range(3):
            assert (await pool.acquire(avoid={a, b})).endpoint is c
        # all tried: the least busy of them
        assert (await pool.acquire(avoid={a, b, c})).endpoint in (a, b)

    asyncio.run(go())


def test_waiters_are_served_first_come_first_served_when_room_frees():
    async def go():
        pool, _ = _pool(caps=(1,))
        first = await pool.acquire()
        order = []

        async def wait(name):
            lease = await pool.acquire()
            order.append(name)
            pool.release(lease, Signal.OK)

        tasks = [asyncio.create_task(wait(n)) for n in ("x", "y", "z")]
        await asyncio.sleep(0)
        assert order == []
        pool.release(first, Signal.OK)
        await asyncio.gather(*tasks)
        assert order == ["x", "y", "z"]

    asyncio.run(go())


def test_an_endpoint_that_keeps_failing_is_taken_out_then_probed_back_in():
    async def go():
        pool, clock = _pool()
        a, b = pool.endpoints
        for _ in range(3):
            lease = await pool.acquire(avoid={b})
            assert lease.endpoint is a
            pool.release(lease, Signal.FAILED, error="ConnectError")
        assert a.ejected_until == 10.0 and a.times_ejected == 1
        # while it is out, everything goes to b
        leases = [await pool.acquire() for _ in range(4)]
        assert all(lease.endpoint is b for lease in leases)
        for lease in leases:
            pool.release(lease, Signal.OK)
        # after the time out one request probes it; a failed probe doubles the time out
        clock.now = 10.0
        # a request that has already failed somewhere is not made to probe
        assert (await pool.acquire(avoid={b})).endpoint is b
        probe = await pool.acquire()
        assert probe.endpoint is a and probe.probe
        assert (await pool.acquire()).endpoint is b  # only one probe at a time
        pool.release(probe, Signal.FAILED, error="ConnectError")
        assert a.ejected_until == 30.0
        clock.now = 30.0
        probe = await pool.acquire()
        assert probe.endpoint is a and probe.probe
        pool.release(probe, Signal.OK)
        assert a.ejected_until is None and a.failures == 0
        assert a.stats()["times_taken_out"] == 2 and a.stats()["out"] is False

    asyncio.run(go())


def test_successes_between_failures_keep_an_endpoint_in():
    async def go():
        pool, _ = _pool(caps=(4,))
        for _ in range(5):
            for outcome in (Signal.FAILED, Signal.FAILED, Signal.OK):
                pool.release(await pool.acquire(), outcome)
        assert pool.endpoints[0].ejected_until is None

    asyncio.run(go())


def test_the_last_endpoint_in_is_never_taken_out():
    async def go():
        pool, clock = _pool(caps=(2, 2), eject_after=2)
        a, b = pool.endpoints
        for _ in range(2):
            pool.release(await pool.acquire(avoid={b}), Signal.FAILED, error="ConnectError")
        assert a.ejected_until is not None
        for _ in range(10):  # b fails too, but it is the last one in: requests keep going there
            lease = await pool.acquire()
            assert lease.endpoint is b and not lease.probe
            pool.release(lease, Signal.FAILED, error="ReadTimeout")
        assert b.ejected_until is None
        # once a is probed back in, b's next failure takes b out
        clock.now = 100.0
        probe = await pool.acquire()
        assert probe.endpoint is a and probe.probe
        pool.release(probe, Signal.OK)
        pool.release(await pool.acquire(avoid={a}), Signal.FAILED, error="ReadTimeout")
        assert b.ejected_until is not None and a.ejected_until is None

    asyncio.run(go())


def test_a_single_endpoint_is_never_taken_out():
    async def go():
        pool, _ = _pool(caps=(2,), eject_after=1)
        for _ in range(5):
            pool.release(await pool.acquire(), Signal.FAILED, error="HTTP 500")
        assert pool.endpoints[0].ejected_until is None

    asyncio.run(go())


def test_a_paused_endpoint_wakes_its_waiters_when_the_pause_ends():
    async def go():
        pool, clock = _pool(caps=(2,))
        lease = await pool.acquire()
        pool.release(lease, Signal.OVERLOADED, retry_after=5.0)
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        assert not waiting.done()
        clock.now = 5.0
        pool.poke()
        await asyncio.sleep(0)
        assert waiting.done() and waiting.result().endpoint is pool.endpoints[0]

    asyncio.run(go())


def test_a_cancelled_waiter_gives_its_place_back():
    async def go():
        pool, _ = _pool(caps=(1,))
        held = await pool.acquire()
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        pool.release(held, Signal.OK)
        assert pool.endpoints[0].limit.in_flight == 0
        assert (await pool.acquire()).endpoint is pool.endpoints[0]

    asyncio.run(go())
