"""Executors: where the model of a run lives. ``local`` builds the backend in this process;
``ray`` shards generation over Ray actors (see :mod:`.ray_executor`).

Either way the engine sees one backend and the driver alone writes the store, so resume,
progress and Ctrl-C work the same.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..models import IN_PROCESS_KINDS, ModelBackend, ModelSpec, create_backend

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class ExecutorOptions:
    """``--executor``, and for Ray the cluster address, the number of workers and their size."""

    kind: str = "local"
    ray_address: str | None = None
    ray_workers: int | None = None
    ray_cpus_per_worker: float | None = None

    def check(self, spec: ModelSpec) -> None:
        """Reject what cannot work before anything starts."""
        if self.kind not in EXECUTORS:
            raise UsageError(f"--executor must be local or ray, not {self.kind!r}")
        ray_only = {
            "--ray-address": self.ray_address,
            "--ray-workers": self.ray_workers,
            "--ray-cpus-per-worker": self.ray_cpus_per_worker,
        }
        if self.kind == "local":
            given = [name for name, value in ray_only.items() if value is not None]
            if given:
                raise UsageError(f"{', '.join(given)} needs --executor ray")
            if spec.kind == "vllm" and importlib.util.find_spec("vllm") is None:
                raise UsageError(
                    f"{spec.spec_string} needs the vLLM engine: pip install 'trustbench[vllm]'"
                )
            return
        if spec.kind not in IN_PROCESS_KINDS:
            raise UsageError(
                f"--executor ray runs in-process models ({', '.join(IN_PROCESS_KINDS)}); "
                f"{spec.spec_string} is served elsewhere: give it several --base-url instead"
            )
        if self.ray_workers is not None and self.ray_workers < 1:
            raise UsageError("--ray-workers must be at least 1")
        if self.ray_cpus_per_worker is not None and self.ray_cpus_per_worker <= 0:
            raise UsageError("--ray-cpus-per-worker must be positive")
        try:
            import ray  # noqa: F401
        except ImportError:
            raise UsageError(
                "--executor ray needs Ray, which is not installed: pip install 'trustbench[ray]'"
            ) from None


class Executor:
    """Builds the run's backend (once, when the engine first needs it) and says how it ran."""

    def __init__(
        self,
        spec: ModelSpec,
        options: ExecutorOptions | None = None,
        local_factory: Callable[[], ModelBackend] | None = None,
    ):
        self.spec = spec
        self.options = options or ExecutorOptions()
        self.options.check(spec)
        self._local_factory = local_factory or (lambda: create_backend(spec))
        self._backend: Any = None

    def create_backend(self) -> ModelBackend:
        if self.options.kind == "ray":
            from .ray_executor import RayBackend

            self._backend = RayBackend(self.spec, self.options)
        else:
            self._backend = self._local_factory()
        return self._backend

    def describe(self) -> dict[str, Any]:
        """What ``run.json`` records under ``executor``."""
        info: dict[str, Any] = {"kind": self.options.kind}
        describe = getattr(self._backend, "describe", None)
        if describe is not None:
            info.update(describe())
        return info
