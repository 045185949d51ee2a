"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama, OpenAI)."""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import httpx

from .base import GenerationRequest, GenerationResult, describe_usage
from .http_pool import lean_client_for

DEFAULT_CONCURRENCY = 16
TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class TransientError(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class OpenAIBackend:
    """Async chat completions with pooled connections and retries for transient failures.

    Timeouts, resets, 408/409/425/429/5xx, bodies that are not JSON and replies with no choices
    are retried with exponential backoff and jitter (honouring Retry-After); any other 4xx is a
    permanent error for that item. The API key is read from the environment at start and kept
    only in the request header.
    """

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int | None = None,
        max_attempts: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        timeout: float = 300.0,
    ):
        self.model = model
        self.max_concurrency = concurrency or DEFAULT_CONCURRENCY
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        timeouts = httpx.Timeout(timeout, connect=10.0)
        # Plain-HTTP endpoints (local servers) get the lean client: httpx costs more CPU per
        # request than the rest of trustbench; HTTPS and proxied endpoints keep httpx.
        self._client: Any = lean_client_for(
            base_url, headers, timeouts, self.max_concurrency
        ) or httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeouts,
            limits=httpx.Limits(
                max_connections=self.max_concurrency, max_keepalive_connections=self.max_concurrency
            ),
        )

    def _payload(self, request: GenerationRequest) -> dict[str, Any]:
        sampling = request.sampling
        return {
            "model": self.model,
            "messages": request.messages,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed,
        }

    async def _attempt(self, payload: dict[str, Any]) -> GenerationResult:
        try:
            response = await self._client.post("chat/completions", json=payload)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code in TRANSIENT_STATUS:
            raise TransientError(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            message = response.text[:300].replace("\n", " ")
            return GenerationResult(None, error=f"HTTP {response.status_code}: {message}")
        try:
            body = response.json()
            choice = body["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise TransientError("malformed reply (not JSON or no choices)") from None
        return GenerationResult(
            message.get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=describe_usage(body.get("usage")),
        )

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        payload = self._payload(request)
        last = "no attempt made"
        for attempt in range(self.max_attempts):
            try:
                return await self._attempt(payload)
            except TransientError as exc:
                last = str(exc)
                if attempt + 1 == self.max_attempts:
                    break
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                delay = delay * (0.5 + random.random() / 2)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.max_backoff * 4))
                await asyncio.sleep(delay)
        return GenerationResult(None, error=f"gave up after {self.max_attempts} attempts: {last}")

    async def aclose(self) -> None:
        await self._client.aclose()
