"""Generation: send every request that the store lacks, commit each response as it arrives.

The engine knows requests, not tasks: it takes batches of keyed requests, consults the store,
calls the backend with bounded concurrency and reports progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


class Generator:
    """Runs batches of requests against one backend, created on first need.

    A permanent error (the backend says retrying will not help) is stored for its key, and that
    request is not sent again unless ``retry_errors`` is set.
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
        outcomes: dict[str, Outcome] = {}
        hits = self.store.get_many(r.key for r in requests)
        for key, hit in hits.items():
            outcomes[key] = _from_store(hit)
        stored = set(hits)
        if not self.retry_errors:
            failed = self.store.get_errors(r.key for r in requests if r.key not in stored)
            for key, error in failed.items():
                outcomes[key] = Outcome(key, None, cached=True, error=error.message, permanent=True)
            stored.update(failed)
        stored_items = sum(1 for r in requests if r.key in stored)
        if advance and stored_items:
            advance(stored_items)
        pending: dict[str, GenerationRequest] = {}
        for request in requests:
            if request.key not in stored:
                pending.setdefault(request.key, request)
        if not pending:
            return outcomes
        backend = self._get_backend()
        limit = max(1, self._concurrency or backend.max_concurrency)
        gate = asyncio.Semaphore(limit)
        duplicates = len(requests) - stored_items - len(pending)

        async def one(request: GenerationRequest) -> None:
            async with gate:
                self.calls += 1
                result = await backend.generate(request)
            outcomes[request.key] = self._record(request, result)
            if advance:
                advance(1)

        tasks = [asyncio.ensure_future(one(r)) for r in pending.values()]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # a response that cannot be stored (or a refused key) stops the run: stop the other
            # requests too rather than let them run on against a closed backend
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if advance and duplicates > 0:
            advance(duplicates)
        return outcomes

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
        )
        return Outcome(request.key, result.text, result.finish_reason, result.usage)

    async def aclose(self) -> None:
        if self._backend is not None:
            stats = getattr(self._backend, "stats", None)
            self.backend_stats = stats() if callable(stats) else None
            await self._backend.aclose()
            self._backend = None


def _from_store(hit: StoredResponse) -> Outcome:
    return Outcome(hit.key, hit.response, hit.finish_reason, hit.usage, cached=True)
