"""The embedded backend: a GGUF model run in-process by llama.cpp (one request at a time)."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .base import GenerationRequest, GenerationResult, describe_usage

DEFAULT_CONTEXT = 4096


class LlamaCppBackend:
    max_concurrency = 1

    def __init__(self, path: Path, n_ctx: int = DEFAULT_CONTEXT, threads: int | None = None):
        self.path = path
        self.n_ctx = n_ctx
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._llama: Any = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.loads = 0  # how many times the model was read from disk: once per backend

    def load(self) -> None:
        """Load the model now (it is otherwise loaded by the first request)."""
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise ModelError(f"llama-cpp-python is not installed ({exc})") from None
            try:
                self._llama = Llama(
                    model_path=str(self.path),
                    n_ctx=self.n_ctx,
                    n_threads=self.threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load {self.path}: {exc}") from None
            self.loads += 1
        return self._llama

    def _generate_sync(self, request: GenerationRequest) -> GenerationResult:
        with self._lock:
            llama = self._load()
            sampling = request.sampling
            try:
                reply = llama.create_chat_completion(
                    messages=request.messages,
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    max_tokens=sampling.max_tokens,
                    seed=sampling.seed,
                    logits_processor=[self._stop_when_closing],
                )
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                return GenerationResult(None, error=f"llama.cpp: {exc}")
        if self._closing.is_set():  # cut short by Ctrl-C: not a real response, not stored
            return GenerationResult(None, error="cancelled")
        choice = reply["choices"][0]
        return GenerationResult(
            choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=describe_usage(reply.get("usage")),
        )

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        return await asyncio.to_thread(self._generate_sync, request)

    def _stop_when_closing(self, input_ids: Any, scores: Any) -> Any:
        # Called once per generated token. When closing (Ctrl-C), only end-of-sequence may come
        # next, so a long generation stops at once; exceptions cannot cross llama.cpp's callback.
        if self._closing.is_set() and self._llama is not None:
            scores[:] = -np.inf
            scores[self._llama.token_eos()] = 0.0
        return scores

    def _close_sync(self) -> None:
        # Under the lock: a generation still running in the worker thread finishes first.
        with self._lock:
            llama, self._llama = self._llama, None
            if llama is not None:
                llama.close()

    async def aclose(self) -> None:
        self._closing.set()
        await asyncio.to_thread(self._close_sync)
