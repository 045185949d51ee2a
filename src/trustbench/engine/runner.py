"""Generation: send every request that the store lacks, commit each response as it arrives.

The engine knows requests, not tasks: it takes batches of keyed requests, consults the store,
calls the backend with bounded concurrency and reports progress.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..models.base import GenerationRequest, GenerationResult, ModelBackend
from .store import Store, StoredResponse


@dataclass(frozen=True)
class Outcome:
    """What one request ended with: a response (fresh or from the store) or an error."""

    key: str
    response: str | None
    finish_reason: str | None = None
    usage: dict | None = None
    cached: bool = False
    error: str | None = None
    permanent: bool = False  # a stored permanent error: sent again only with retry_errors


ProgressHook = Callable[[int], None]
DoneHook = Callable[[int, dict[str, "Outcome"]], None]
OutcomeHook = Callable[[int, str, "Outcome"], None]


class _Batch:
    __slots__ = ("advance", "arrived", "done", "duplicates", "left", "outcomes", "pending")

    def __init__(
        self,
        pending: list[GenerationRequest],
        outcomes: dict[str, Outcome],
        advance: ProgressHook | None,
        duplicates: int,
        shared: int = 0,
    ):
        self.pending = pending
        self.outcomes = outcomes
        self.advance = advance
        self.duplicates = duplicates
        self.left = len(pending) + shared  # shared: requests an earlier batch sends for this one
        self.done: Callable[[], None] | None = None  # called once every request has its outcome
        self.arrived: Callable[[str, Outcome], None] | None = None  # called with each outcome

    def finish(self, key: str, outcome: Outcome) -> None:
        self.outcomes[key] = outcome
        if self.arrived is not None:
            self.arrived(key, outcome)
        self.left -= 1
        if self.advance:
            # duplicates of a request are done when the last request of its batch is
            self.advance(1 + (self.duplicates if self.left == 0 else 0))
        if self.left == 0 and self.done is not None:
            self.done()


# Responses are committed to the store in one transaction per this many seconds (each one at
# most this long after it arrived), not one each: a kill loses at most this much work.
COMMIT_EVERY_S = 0.1


class Generator:
    """Runs batches of requests against one backend, created on first need.

    A permanent error (the backend says retrying will not help) is stored for its key, and that
    request is not sent again unless ``retry_errors`` is set.

    Several batches (one per task) go through one pool of workers that takes their requests in
    order, so the server stays busy where one batch ends and the next begins.
    """

    def __init__(
        self,
        store: Store,
        model_id: str,
        backend_factory: Callable[[], ModelBackend],
        concurrency: int | None = None,
        retry_errors: bool = False,
    ):
        self.store = store
        self.model_id = model_id
        self._factory = backend_factory
        self._backend: ModelBackend | None = None
        self._concurrency = concurrency
        self.retry_errors = retry_errors
        self._commit_timer: asyncio.TimerHandle | None = None
        self._commit_error: BaseException | None = None
        self.calls = 0
        self.backend_stats: object = None

    def _get_backend(self) -> ModelBackend:
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    async def run(
        self, requests: Sequence[GenerationRequest], advance: ProgressHook | None = None
    ) -> dict[str, Outcome]:
        """Outcomes by key. Stored keys cost nothing; the rest go to the backend."""
        return (await self.run_batches([(requests, advance)]))[0]

    async def run_batches(
        self,
        batches: Sequence[tuple[Sequence[GenerationRequest], ProgressHook | None]],
        on_done: DoneHook | None = None,
        on_outcome: OutcomeHook | None = None,
    ) -> list[dict[str, Outcome]]:
        """Outcomes by key for each batch; requests are sent batch after batch, without a pause.

        ``on_done(index, outcomes)`` is called for each batch as soon as it and every batch before
        it have all their outcomes (so in batch order, while later batches are still being sent);
        ``on_outcome(index, key, outcome)`` as each outcome of a batch arrives, before its
        ``on_done`` (not for the outcomes the store already held, which ``on_done`` has too).
        Neither may block the event loop; an exception either raises stops the run.
        """
        results: list[dict[str, Outcome]] = []
        reported = _InOrder(len(batches), on_done, results)
        work: list[_Batch] = []
        claimed: dict[str, None] = {}  # keys a batch sends, in order
        waiting: dict[str, list[_Batch]] = {}  # later batches that need the same response
        for requests, advance in batches:
            outcomes: dict[str, Outcome] = {}
            hits = self.store.get_many(r.key for r in requests)
            for key, hit in hits.items():
                outcomes[key] = _from_store(hit)
            stored = set(hits)
            if not self.retry_errors:
                failed = self.store.get_errors(r.key for r in requests if r.key not in stored)
                for key, error in failed.items():
                    outcomes[key] = Outcome(
                        key, None, cached=True, error=error.message, permanent=True
                    )
                stored.update(failed)
            stored_items = sum(1 for r in requests if r.key in stored)
            if advance and stored_items:
                advance(stored_items)
            pending: dict[str, GenerationRequest] = {}
            shared: dict[str, None] = {}  # sent for an earlier batch too (tasks sharing prompts)
            for request in requests:
                if request.key in stored or request.key in pending:
                    continue
                if request.key in claimed:
                    shared[request.key] = None
                else:
                    pending[request.key] = request
            duplicates = len(requests) - stored_items - len(pending) - len(shared)
            results.append(outcomes)
            if pending or shared:
                batch = _Batch(list(pending.values()), outcomes, advance, duplicates, len(shared))
                batch.done = functools.partial(reported.ready, len(results) - 1)
                if on_outcome is not None:
                    batch.arrived = functools.partial(on_outcome, len(results) - 1)
                work.append(batch)
                claimed.update(dict.fromkeys(pending))
                for key in shared:
                    waiting.setdefault(key, []).append(batch)
            else:
                reported.ready(len(results) - 1)
        total = sum(len(batch.pending) for batch in work)
        reported.flush()  # batches the store answered whole are done already
        if not total:
            return results
        backend = self._get_backend()
        limit = max(1, self._concurrency or backend.max_concurrency)
        queue = ((request, batch) for batch in work for request in batch.pending)

        async def worker() -> None:
            # A fixed pool of workers takes requests in order: no task per request.
            for request, batch in queue:
                self.calls += 1
                result = await backend.generate(request)
                outcome = self._record(request, result)
                if self._commit_error is not None:  # a timed commit failed: stop the run
                    raise self._commit_error
                batch.finish(request.key, outcome)
                for other in waiting.get(request.key, ()):
                    # no call was made for the other task's item: to it, the response is cached
                    shared = (
                        replace(outcome, cached=True) if outcome.response is not None else outcome
                    )
                    other.finish(request.key, shared)

        workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, total))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            self._commit()
        return results

    def _commit(self) -> None:
        if self._commit_timer is not None:
            self._commit_timer.cancel()
            self._commit_timer = None
        error, self._commit_error = self._commit_error, None
        if error is not None:
            raise error
        self.store.commit()

    def _timed_commit(self) -> None:
        """The timer's commit: a failure is kept and raised by the next worker (an exception
        in a loop callback would otherwise only be logged)."""
        self._commit_timer = None
        try:
            self.store.commit()
        except Exception as exc:  # a StoreError: the run must stop, not drop responses
            self._commit_error = exc

    def _record(self, request: GenerationRequest, result: GenerationResult) -> Outcome:
        if not result.ok:
            error = result.error or "no response"
            if result.permanent:
                self.store.put_error(
                    request.key, self.model_id, request.messages, result.status, error
                )
            return Outcome(request.key, None, error=error, permanent=result.permanent)
        assert result.text is not None
        self.store.put(
            request.key,
            self.model_id,
            request.sampling,
            request.messages,
            result.text,
            result.finish_reason,
            result.usage,
            commit=False,
        )
        if self._commit_timer is None:
            loop = asyncio.get_running_loop()
            self._commit_timer = loop.call_later(COMMIT_EVERY_S, self._timed_commit)
        return Outcome(request.key, result.text, result.finish_reason, result.usage)

    async def aclose(self) -> None:
        self._commit()
        if self._backend is not None:
            stats = getattr(self._backend, "stats", None)
            self.backend_stats = stats() if callable(stats) else None
            await self._backend.aclose()
            self._backend = None


class _InOrder:
    """Reports finished batches to a hook in batch order."""

    def __init__(self, count: int, hook: DoneHook | None, results: list[dict[str, Outcome]]):
        self.finished = [False] * count
        self.next = 0
        self.hook = hook
        self.results = results
        self.armed = False  # reports start once every batch is known

    def ready(self, index: int) -> None:
        self.finished[index] = True
        if self.armed:
            self.flush()

    def flush(self) -> None:
        self.armed = True
        while self.next < len(self.finished) and self.finished[self.next]:
            index, self.next = self.next, self.next + 1
            if self.hook is not None:
                self.hook(index, self.results[index])


def _from_store(hit: StoredResponse) -> Outcome:
    return Outcome(hit.key, hit.response, hit.finish_reason, hit.usage, cached=True)
