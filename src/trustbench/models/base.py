"""The one protocol every model backend speaks, and the requests and results it exchanges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..types import Message, SamplingParams


@dataclass(frozen=True)
class GenerationRequest:
    key: str
    messages: list[Message]
    sampling: SamplingParams


@dataclass(frozen=True)
class GenerationResult:
    """A response text, or an error that says why there is none (never an empty stand-in).

    ``permanent`` marks an error that retrying will not fix (a 4xx other than 408/409/425/429):
    the engine stores it per item and sends the request again only when asked to.
    """

    text: str | None
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    status: int | None = None
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


class ModelBackend(Protocol):
    """Generates one response per request; the engine decides how many run at once."""

    max_concurrency: int

    async def generate(self, request: GenerationRequest) -> GenerationResult: ...

    async def aclose(self) -> None: ...


def describe_usage(usage: Any) -> dict[str, int]:
    if not isinstance(usage, dict):
        return {}
    return {k: int(v) for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
