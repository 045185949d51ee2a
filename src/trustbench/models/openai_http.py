"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama, OpenAI)."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Sequence
from typing import Any

import httpx

from ..errors import ModelError
from .base import GenerationRequest, GenerationResult, describe_usage
from .endpoints import Endpoint, EndpointPool, Lease, Signal
from .http_policy import HTTPPolicy, parse_retry_after
from .http_pool import lean_client_for
from .limiter import AdaptiveLimit

DEFAULT_CONCURRENCY = 64
RETRIED_STATUS = {408, 409, 425, 500, 502, 504}  # plus 429 and 503, which also slow down
ERROR_TEXT_LIMIT = 300


class TransientError(Exception):
    """An attempt that failed for a reason that may pass: it is retried."""

    def __init__(
        self, message: str, signal: Signal = Signal.FAILED, retry_after: float | None = None
    ):
        super().__init__(message)
        self.signal = signal
        self.retry_after = retry_after


def _error_text(response: httpx.Response) -> str:
    """The server's error message (OpenAI's ``{"error": {"message"}}`` or the raw body)."""
    try:
        body = response.json()
        message = body["error"]["message"] if isinstance(body["error"], dict) else body["error"]
        text = str(message)
    except (ValueError, KeyError, TypeError):
        text = response.text
    return " ".join(text.split())[:ERROR_TEXT_LIMIT]


def _content(message: Any) -> str:
    """The reply text. A message without content (null or missing) is malformed and retried; an
    empty string is what the model said (it stopped at once) and is kept, judged invalid."""
    if not isinstance(message, dict):
        raise TypeError("choice has no message")
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = (
            "".join(part.get("text", "") for part in content if isinstance(part, dict)) or None
        )
    if not isinstance(content, str):
        raise TypeError("message has no text content")
    return content


class OpenAIBackend:
    """Async chat completions over pooled connections to one or more replicas of a model.

    ``concurrency`` caps the requests in flight per endpoint; the actual limit adapts (halves on
    429 or 503, honouring Retry-After, and grows back while the server keeps up). Timeouts,
    dropped connections, 408/409/425/429/5xx, bodies that are not JSON and replies with no choices
    are retried with exponential backoff and jitter, preferably on another endpoint. Any other 4xx
    is a permanent error for that item (returned with its status and message); 401 stops the run.
    The API key is read from the environment at start and kept only in the request header.
    """

    def __init__(
        self,
        model: str,
        base_url: str | Sequence[str],
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int | None = None,
        policy: HTTPPolicy | None = None,
    ):
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("OpenAIBackend needs at least one base URL")
        self.model = model
        self.policy = policy or HTTPPolicy()
        self.api_key_env = api_key_env
        cap = concurrency or DEFAULT_CONCURRENCY
        self.max_concurrency = cap * len(urls)
        headers = {"Content-Type": "application/json"}
        self._secret = os.environ.get(api_key_env) or ""
        if self._secret:
            headers["Authorization"] = f"Bearer {self._secret}"
        timeout = httpx.Timeout(self.policy.timeout, connect=self.policy.connect_timeout, pool=None)
        limits = httpx.Limits(max_connections=cap, max_keepalive_connections=cap)
        endpoints = [
            Endpoint(
                url,
                AdaptiveLimit(cap),
                # Plain-HTTP endpoints (local servers) get the lean client: httpx costs more
                # CPU per request than the rest of trustbench; HTTPS and proxied ones keep httpx.
                lean_client_for(url, headers, timeout, cap)
                or httpx.AsyncClient(
                    base_url=url.rstrip("/") + "/", headers=headers, timeout=timeout, limits=limits
                ),
            )
            for url in urls
        ]
        self._pool = EndpointPool(endpoints, self.policy)
        self._random = random.Random()

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

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _http_error(self, status: int, response: httpx.Response) -> str:
        text = self._redact(_error_text(response))
        return f"HTTP {status}: {text}" if text else f"HTTP {status}"

    async def _attempt(self, endpoint: Endpoint, payload: dict[str, Any]) -> GenerationResult:
        """One request to one endpoint: a result, or TransientError to retry."""
        try:
            response = await endpoint.client.post("chat/completions", json=payload)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out ({type(exc).__name__})") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            detail = self._redact(str(exc)) or "no detail"
            raise TransientError(f"{type(exc).__name__}: {detail}") from None
        status = response.status_code
        if status == 429 or status == 503:
            signal = Signal.OVERLOADED if status == 429 else Signal.UNAVAILABLE
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise TransientError(f"HTTP {status}", signal, retry_after)
        if status in RETRIED_STATUS or status >= 500:
            raise TransientError(self._http_error(status, response))
        if status == 401:
            raise ModelError(
                f"{endpoint.label} refused the API key (HTTP 401: "
                f"{self._redact(_error_text(response))}); set ${self.api_key_env} or name "
                "another variable with --api-key-env"
            )
        if status >= 300:
            message = self._http_error(status, response)
            return GenerationResult(None, error=message, status=status, permanent=True)
        try:
            body = response.json()
            choice = body["choices"][0]
            text = _content(choice["message"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TransientError(f"malformed reply ({type(exc).__name__}: {exc})") from None
        return GenerationResult(
            text,
            finish_reason=choice.get("finish_reason"),
            usage=describe_usage(body.get("usage")),
        )

    async def _try(self, lease: Lease, payload: dict[str, Any]) -> GenerationResult:
        signal, retry_after, error = Signal.CANCELLED, None, ""
        try:
            result = await self._attempt(lease.endpoint, payload)
            signal = Signal.OK if result.ok else Signal.REJECTED
            return result
        except TransientError as exc:
            signal, retry_after, error = exc.signal, exc.retry_after, str(exc)
            raise
        except ModelError:
            signal = Signal.REJECTED
            raise
        finally:
            self._pool.release(lease, signal, retry_after, error)

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        payload = self._payload(request)
        last = "no attempt made"
        failed_on: set[Endpoint] = set()  # a retry goes elsewhere when another has room
        attempts = self.policy.max_attempts
        for attempt in range(attempts):
            retry_after = None
            lease = await self._pool.acquire(avoid=failed_on)
            try:
                return await self._try(lease, payload)
            except TransientError as exc:
                failed_on.add(lease.endpoint)
                last = f"{lease.endpoint.label}: {exc}"
                retry_after = exc.retry_after
            if attempt + 1 < attempts:
                await asyncio.sleep(self.policy.delay(attempt, retry_after, self._random.random()))
        return GenerationResult(None, error=f"gave up after {attempts} attempts: {last}")

    def stats(self) -> list[dict[str, Any]]:
        """Per endpoint: requests sent, answered, failed, overloaded, times taken out, limit."""
        return self._pool.stats()

    async def aclose(self) -> None:
        for endpoint in self._pool.endpoints:
            await endpoint.client.aclose()
