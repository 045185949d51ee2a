"""The generator's pipeline: one pool of workers over every task's requests, batched commits."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import replace

import pytest

from trustbench.engine import Generator, Store
from trustbench.models import GenerationRequest, GenerationResult
from trustbench.types import SamplingParams, request_key


class CountingBackend:
    """Answers every request after yielding to the loop; records order and peak concurrency."""

    def __init__(self, max_concurrency: int = 3):
        self.max_concurrency = max_concurrency
        self.started: list[str] = []
        self.in_flight = 0
        self.peak = 0
        self.hold: dict[str, asyncio.Event] = {}

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self.started.append(request.key)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if request.key in self.hold:
                await self.hold[request.key].wait()
            await asyncio.sleep(0)
            return GenerationResult(f"reply to {request.key}", "stop", {"completion_tokens": 3})
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        pass


def _requests(prefix: str, count: int) -> list[GenerationRequest]:
    params = SamplingParams()
    return [
        GenerationRequest(f"{prefix}{i}", [{"role": "user", "content": f"{prefix}{i}"}], params)
        for i in range(count)
    ]


def test_batches_share_one_pool_and_keep_their_order(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    stored = _requests("a", 2)[0]
    store.put(stored.key, "m", stored.sampling, stored.messages, "old", "stop", {})
    backend = CountingBackend(max_concurrency=3)
    generator = Generator(store, "m", lambda: backend)
    batches = [_requests("a", 5), _requests("b", 1), _requests("c", 7)]
    batches[2].append(batches[2][0])  # a duplicate is sent once
    progress = {"a": 0, "b": 0, "c": 0}

    def hook(name):
        def advance(n: int) -> None:
            progress[name] += n

        return advance

    async def go():
        try:
            return await generator.run_batches(
                [(batch, hook(name)) for name, batch in zip("abc", batches, strict=True)]
            )
        finally:
            await generator.aclose()

    results = asyncio.run(go())
    expected_order = [r.key for r in batches[0][1:] + batches[1] + batches[2][:-1]]
    assert backend.started == expected_order  # batch after batch, in order
    assert backend.peak == 3 and generator.calls == len(expected_order) == 12
    assert progress == {"a": 5, "b": 1, "c": 8}
    assert results[0]["a0"].cached and results[0]["a0"].response == "old"
    assert all(results[2][r.key].response == f"reply to {r.key}" for r in batches[2])
    store.close()
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 13


def test_a_response_is_committed_while_the_run_goes_on(tmp_path):
    """Responses are committed in batches, but each soon after it arrives, not at the end."""
    path = tmp_path / "s.sqlite"
    store = Store(path)
    backend = CountingBackend(max_concurrency=1)
    first, second = _requests("k", 2)
    backend.hold[second.key] = asyncio.Event()
    seen_while_running = []

    def visible() -> bool:
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT 1 FROM responses WHERE key = ?", (first.key,)).fetchone()
        return row is not None

    async def watch():
        deadline = time.monotonic() + 30
        while not visible() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        seen_while_running.append(visible())
        backend.hold[second.key].set()

    async def go():
        generator = Generator(store, "m", lambda: backend)
        watcher = asyncio.ensure_future(watch())
        try:
            await generator.run([first, second])
        finally:
            await generator.aclose()
            await watcher

    asyncio.run(go())
    store.close()
    assert seen_while_running == [True]


def test_request_keys_stay_what_earlier_versions_stored():
    """A changed key would orphan every stored response: the hash input must not drift."""
    sampling = SamplingParams(temperature=1.0, max_tokens=64, top_p=0.9, seed=3)
    key = request_key("openai:m", sampling, [{"role": "user", "content": "hi"}])
    assert key == "609e656364bac5e94f2e47486103122e32e3aa9c01d49f0b3c2b038485d74619"


@pytest.mark.parametrize(
    "model_id,messages",
    [
        ("openai:m", [{"role": "user", "content": "hi"}]),
        (
            'odd "model" \\ name',
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "x"}],
        ),
        ("llamacpp", [{"content": "Ünïcödé ✓ 中文 \u2028 </script>", "role": "user"}]),
        ("m", []),
    ],
)
def test_request_key_is_the_hash_of_the_canonical_request(model_id, messages):
    import hashlib

    from trustbench.types import canonical_json

    for sampling in (SamplingParams(), SamplingParams(0.7, 128, 0.95, 42)):
        payload = {"model": model_id, "sampling": sampling.to_dict(), "messages": messages}
        expected = hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
        assert request_key(model_id, sampling, messages) == expected


def test_a_request_shared_by_two_batches_is_sent_once(tmp_path):
    """Tasks that share prompts (toxicity reuses jailbreak's) cost one call per prompt."""
    store = Store(tmp_path / "s.sqlite")
    backend = CountingBackend(max_concurrency=4)
    generator = Generator(store, "m", lambda: backend)
    first, second = _requests("a", 4), _requests("a", 6)  # a0..a3 in both
    progress = {"first": 0, "second": 0}

    def hook(name):
        def advance(n: int) -> None:
            progress[name] += n

        return advance

    outcomes = asyncio.run(
        generator.run_batches([(first, hook("first")), (second + second[:1], hook("second"))])
    )
    store.close()
    assert sorted(backend.started) == sorted(r.key for r in second)  # each key once
    assert generator.calls == 6
    assert outcomes[1].keys() == {r.key for r in second}
    assert all(outcomes[1][r.key].response == f"reply to {r.key}" for r in first)
    assert not any(outcome.cached for outcome in outcomes[0].values())
    for r in first:  # the second batch's copy: the same response, no call made for it
        assert outcomes[1][r.key] == replace(outcomes[0][r.key], cached=True)
    assert progress == {"first": 4, "second": 7}


def test_finished_batches_are_reported_in_order_while_later_ones_run(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    cached = _requests("s", 2)
    for request in cached:  # a batch the store answers whole
        store.put(request.key, "m", request.sampling, request.messages, "old", "stop", {})
    backend = CountingBackend(max_concurrency=2)
    generator = Generator(store, "m", lambda: backend)
    first, third = _requests("a", 3), _requests("c", 4)
    shared = [first[0], *_requests("b", 1)]  # waits on a request of the first batch
    batches = [first, cached, shared, third]
    reports: list[tuple[int, list[str], int]] = []

    def on_done(index: int, outcomes: dict) -> None:
        sent_so_far = len(backend.started)
        reports.append((index, sorted(outcomes), sent_so_far))

    async def main():
        return await generator.run_batches([(b, None) for b in batches], on_done)

    results = asyncio.run(main())
    assert [index for index, _, _ in reports] == [0, 1, 2, 3]
    for (index, keys, _), batch in zip(reports, batches, strict=True):
        assert keys == sorted({r.key for r in batch})
        assert sorted(results[index]) == keys
    # the first batches are reported before the last one has been sent whole
    assert reports[0][2] < len(first) + 1 + len(third)
    store.close()


def test_a_batch_answered_by_the_store_is_reported_without_a_backend(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    [request] = _requests("s", 1)
    store.put(request.key, "m", request.sampling, request.messages, "old", "stop", {})
    generator = Generator(store, "m", lambda: (_ for _ in ()).throw(AssertionError("no call")))
    reports = []
    asyncio.run(generator.run_batches([([request], None)], lambda i, o: reports.append((i, o))))
    assert [(i, o[request.key].response) for i, o in reports] == [(0, "old")]
    store.close()


def test_responses_put_without_commit_are_read_back_and_committed_together(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    requests = _requests("k", 5)
    for request in requests:
        store.put(request.key, "m", request.sampling, request.messages, "r", "stop", {}, False)
    assert set(store.get_many(r.key for r in requests)) == {r.key for r in requests}
    assert store.count() == 5
    store.commit()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 5
    store.close()


def test_a_response_replaces_a_stored_error_also_in_a_batch(tmp_path):
    path = tmp_path / "s.sqlite"
    [first, second] = _requests("k", 2)
    store = Store(path)
    store.put_error(first.key, "m", first.messages, 400, "bad request")
    store.close()
    store = Store(path)  # a store that opens with errors in it
    store.put(second.key, "m", second.sampling, second.messages, "r", "stop", {}, False)
    store.put(first.key, "m", first.sampling, first.messages, "now fine", "stop", {}, False)
    store.commit()
    assert store.get_errors([first.key]) == {}
    assert store.get_many([first.key])[first.key].response == "now fine"
    store.close()
