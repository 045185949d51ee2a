"""The vLLM offline engine, in-process: large batches through ``LLM.chat`` (``pip install
trustbench[vllm]``). vLLM schedules a batch continuously on the GPU; trustbench only keeps it fed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .base import GenerationRequest, GenerationResult
from .batching import MicroBatcher, run_in_daemon_thread
from .local_spec import is_flag_set, local_folder
from .spec import ModelSpec

DEFAULT_BATCH = 256


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise ModelError(
            f"vllm: the vLLM engine is not installed ({exc}); pip install 'trustbench[vllm]'"
        ) from None
    return vllm


class VLLMBackend:
    """One ``vllm.LLM`` per process, loaded on first need; each batch is one ``LLM.chat`` call."""

    def __init__(self, spec: ModelSpec, batch_size: int | None = None):
        self.spec = spec
        self._llm: Any = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.loads = 0
        size = batch_size or int(spec.option("batch_size") or DEFAULT_BATCH)
        self._batcher = MicroBatcher(self._generate_batch, size)
        self.max_concurrency = 2 * self._batcher.batch_size

    @classmethod
    def from_spec(cls, spec: ModelSpec, threads: int | None = None) -> VLLMBackend:
        return cls(spec)

    def engine_arguments(self, folder: Path) -> dict[str, Any]:
        """What ``vllm.LLM`` is built with: the local folder and the spec's options."""
        options = dict(self.spec.options)
        arguments: dict[str, Any] = {
            "model": str(folder),
            "tokenizer": str(folder),
            "trust_remote_code": is_flag_set(options.get("trust_remote_code")),
            "seed": 0,
        }
        if "dtype" in options:
            arguments["dtype"] = options["dtype"]
        for name in ("tensor_parallel_size", "max_model_len"):
            if name in options:
                arguments[name] = int(options[name])
        if "gpu_memory_utilization" in options:
            arguments["gpu_memory_utilization"] = float(options["gpu_memory_utilization"])
        if "enforce_eager" in options:
            arguments["enforce_eager"] = is_flag_set(options["enforce_eager"])
        return arguments

    def load(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._llm is None:
            vllm = _import_vllm()
            folder = local_folder(self.spec)
            try:
                self._llm = vllm.LLM(**self.engine_arguments(folder))
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelError(f"vllm: cannot load {folder}: {exc}") from None
            self.loads += 1
        return self._llm

    def _chat(self, llm: Any, requests: list[GenerationRequest]) -> list[GenerationResult]:
        vllm = _import_vllm()
        sampling = requests[0].sampling
        params = vllm.SamplingParams(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed,
        )
        outputs = llm.chat([r.messages for r in requests], params, use_tqdm=False)
        return [_result(output) for output in outputs]

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        with self._lock:
            if self._closing.is_set():
                return [GenerationResult(None, error="cancelled") for _ in requests]
            llm = self._load()
            try:
                return self._chat(llm, requests)
            except ValueError:
                if len(requests) == 1:
                    raise
            # one bad request (e.g. longer than the context) fails the whole call: isolate it
            results = []
            for request in requests:
                try:
                    results.extend(self._chat(llm, [request]))
                except ValueError as exc:
                    results.append(GenerationResult(None, error=f"vllm: {exc}"))
            return results

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        try:
            return await self._batcher.submit(request)
        except ValueError as exc:
            return GenerationResult(None, error=f"vllm: {exc}")

    def _close_sync(self) -> None:
        with self._lock:
            self._llm = None

    async def aclose(self) -> None:
        self._closing.set()
        self._batcher.cancel()
        if self._lock.locked():
            return  # a batch is still running in its daemon thread; the process is ending
        await run_in_daemon_thread(self._close_sync)


def _result(output: Any) -> GenerationResult:
    completion = output.outputs[0]
    prompt_tokens = len(output.prompt_token_ids or [])
    completion_tokens = len(completion.token_ids)
    finish = completion.finish_reason
    if finish not in ("stop", "length"):
        return GenerationResult(None, error=f"vllm: generation ended with {finish!r}")
    return GenerationResult(
        completion.text,
        finish_reason=finish,
        usage={
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    )
