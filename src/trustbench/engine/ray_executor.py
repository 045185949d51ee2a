"""Generation sharded over Ray actors, each holding one copy of an in-process model.

``RayBackend`` speaks the backend protocol to the engine: each request goes to the ready actor
with the fewest requests in flight and its result comes back to the driver as soon as it is
done, where the engine stores it. Actors never see the store, so resume and progress are the
driver's, exactly as in a local run. Ray is imported only when this executor is chosen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError, TrustbenchError, UsageError
from ..models import GenerationRequest, GenerationResult, ModelSpec, create_backend
from .executors import ExecutorOptions

DEFAULT_THREADS_PER_MODEL = 4  # llama.cpp and torch gain little beyond this for one small model
STATS_TIMEOUT = 10.0
# Requests start once every actor has loaded its model, or this long after the first one has:
# work is shared from the start, and an actor that cannot be placed holds nothing up for long.
START_GRACE = 60.0


class Worker:
    """The actor: builds the backend once, in its own process, and serves generate calls."""

    def __init__(self, spec: ModelSpec, threads: int):
        self.spec = spec
        self.threads = threads
        self.backend: Any = None
        self.calls = 0

    def _backend(self) -> Any:
        if self.backend is None:
            self.backend = create_backend(self.spec, threads=self.threads)
        return self.backend

    async def load(self) -> dict[str, Any]:
        backend = self._backend()
        load = getattr(backend, "load", None)
        if load is not None:
            await asyncio.to_thread(load)
        return await self.stats()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self.calls += 1
        return await self._backend().generate(request)

    async def stats(self) -> dict[str, Any]:
        import ray

        return {
            "node": ray.get_runtime_context().get_node_id(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "loads": getattr(self.backend, "loads", None),
            "calls": self.calls,
        }


@dataclass(eq=False)
class _Slot:
    actor: Any
    outstanding: int = 0
    ready: bool = False
    dead: bool = False


def _per_worker_concurrency(spec: ModelSpec, gpus: float) -> int:
    """Requests in flight per actor: enough to keep its model busy between round trips."""
    if spec.kind == "llamacpp":
        return 2  # one generating, one waiting in the actor
    if spec.kind == "hf":
        from ..models.hf import DEFAULT_BATCH_CPU, DEFAULT_BATCH_GPU

        default = DEFAULT_BATCH_GPU if gpus > 0 else DEFAULT_BATCH_CPU
        return 2 * int(spec.option("batch_size") or default)
    from ..models.vllm_backend import DEFAULT_BATCH

    return 2 * int(spec.option("batch_size") or DEFAULT_BATCH)


def _gpus_per_worker(spec: ModelSpec, cluster_gpus: float) -> float:
    if cluster_gpus <= 0 or spec.kind == "llamacpp":
        return 0
    if spec.kind == "vllm":
        return float(spec.option("tensor_parallel_size") or 1)
    device = spec.option("device") or "auto"
    return 0 if device == "cpu" else 1


class RayBackend:
    """The backend protocol over a pool of Ray actors (see the module docstring)."""

    def __init__(self, spec: ModelSpec, options: ExecutorOptions):
        import ray

        self.spec = spec
        self.address = options.ray_address
        self._owns_connection = not ray.is_initialized()
        if self._owns_connection:
            try:
                ray.init(
                    address=options.ray_address,
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                    include_dashboard=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = options.ray_address or "a new local instance"
                raise ModelError(f"cannot start or reach Ray ({where}): {exc}") from None
        alive = [node for node in ray.nodes() if node.get("Alive")]
        node_cpus = max((node["Resources"].get("CPU", 0.0) for node in alive), default=0.0)
        resources = ray.cluster_resources()
        total_cpus, total_gpus = resources.get("CPU", 0.0), resources.get("GPU", 0.0)
        self.gpus_per_worker = _gpus_per_worker(spec, total_gpus)
        default_cpus = 1.0 if self.gpus_per_worker else min(DEFAULT_THREADS_PER_MODEL, node_cpus)
        self.cpus_per_worker = options.ray_cpus_per_worker or max(1.0, default_cpus)
        if self.cpus_per_worker > node_cpus:
            self._disconnect()
            raise UsageError(
                f"--ray-cpus-per-worker {self.cpus_per_worker:g}: no node of the Ray cluster has "
                f"that many CPUs (the largest has {node_cpus:g})"
            )
        if options.ray_workers:
            workers = options.ray_workers
        elif self.gpus_per_worker:
            workers = int(total_gpus // self.gpus_per_worker)
        else:
            workers = int(total_cpus // self.cpus_per_worker)
        self.workers = max(1, workers)
        self.per_worker = _per_worker_concurrency(spec, self.gpus_per_worker)
        self.max_concurrency = self.workers * self.per_worker
        actor_class = ray.remote(Worker).options(
            num_cpus=self.cpus_per_worker,
            num_gpus=self.gpus_per_worker,
            max_restarts=1,
            max_task_retries=1,
        )
        threads = max(1, int(self.cpus_per_worker))
        self._slots = [_Slot(actor_class.remote(spec, threads)) for _ in range(self.workers)]
        self._changed: asyncio.Event | None = None
        self._loading: list[asyncio.Task[None]] = []
        self._failure: BaseException | None = None
        self._first_ready: float | None = None
        self._dispatching = False
        self._stats: list[dict[str, Any]] = []

    # -- starting: every actor loads its model once; requests go to those that are ready

    def _start(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
            self._loading = [asyncio.create_task(self._load(slot)) for slot in self._slots]
        return self._changed

    async def _load(self, slot: _Slot) -> None:
        try:
            await slot.actor.load.remote()
            slot.ready = True
            if self._first_ready is None:
                self._first_ready = time.monotonic()
        except Exception as exc:
            slot.dead = True
            cause = _cause(exc)
            if isinstance(cause, TrustbenchError):
                self._failure = cause
            elif all(s.dead for s in self._slots):
                self._failure = ModelError(
                    f"no Ray worker could load {self.spec.spec_string}: {exc}"
                )
        finally:
            assert self._changed is not None
            self._changed.set()

    async def _wait_for_start(self, changed: asyncio.Event) -> None:
        while not self._dispatching:
            if self._failure is not None:
                raise self._failure
            remaining = None
            if self._first_ready is not None:
                remaining = self._first_ready + START_GRACE - time.monotonic()
            if all(s.ready or s.dead for s in self._slots) or (
                remaining is not None and remaining <= 0
            ):
                self._dispatching = True
                return
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def _acquire(self) -> _Slot | None:
        changed = self._start()
        await self._wait_for_start(changed)
        while True:
            if self._failure is not None:
                raise self._failure
            free = [
                s for s in self._slots if s.ready and not s.dead and s.outstanding < self.per_worker
            ]
            if free:
                slot = min(free, key=lambda s: s.outstanding)
                slot.outstanding += 1
                return slot
            if all(s.dead for s in self._slots):
                return None
            changed.clear()
            await changed.wait()

    def _release(self, slot: _Slot) -> None:
        slot.outstanding -= 1
        if self._changed is not None:
            self._changed.set()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        import ray

        while True:
            slot = await self._acquire()
            if slot is None:
                return GenerationResult(None, error="ray: every worker was lost")
            try:
                return await slot.actor.generate.remote(request)
            except ray.exceptions.RayTaskError as exc:
                raise _cause(exc) from None  # the backend itself failed, as it would locally
            except ray.exceptions.RayActorError:
                slot.dead = True  # the actor's process or node is gone: try another actor
            finally:
                self._release(slot)

    # -- closing

    async def aclose(self) -> None:
        import ray

        for task in self._loading:
            task.cancel()
        started = self._changed is not None
        live = [s for s in self._slots if started and not s.dead]
        try:  # an actor still loading answers too: its methods run beside the load
            stats = await asyncio.wait_for(
                asyncio.gather(*(s.actor.stats.remote() for s in live)), STATS_TIMEOUT
            )
            self._stats = [dict(info, ready=s.ready) for s, info in zip(live, stats, strict=True)]
        except Exception:  # a worker lost or busy past the timeout: the run goes on without
            self._stats = []
        for slot in self._slots:
            with contextlib.suppress(Exception):  # already gone
                ray.kill(slot.actor, no_restart=True)
        self._disconnect()

    def _disconnect(self) -> None:
        import ray

        if self._owns_connection and ray.is_initialized():
            ray.shutdown()

    def describe(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "workers": self.workers,
            "cpus_per_worker": self.cpus_per_worker,
            "gpus_per_worker": self.gpus_per_worker,
            "worker_stats": self._stats,
        }


def _cause(exc: BaseException) -> BaseException:
    """The exception raised inside the actor, not Ray's wrapper around it."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc
