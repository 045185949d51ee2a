"""Any model as a judge: rubrics sent through the same engine and store as responses.

A verdict request is an ordinary chat request to the judge model (temperature 0), so it is
cached in the response store under the hash of (judge model, sampling params, messages). The
rubric's text and version are part of the messages: a new rubric version is a new request, the
same one is free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..engine import Generator, Store
from ..models import IN_PROCESS_KINDS, GenerationRequest, ModelBackend, ModelSpec, create_backend
from ..types import SamplingParams, request_key

JUDGE_SAMPLING = SamplingParams(temperature=0.0, max_tokens=128, top_p=1.0, seed=0)
REASK = (
    "I could not read a verdict in that reply. Answer again with only the verdict word asked for."
)


@dataclass(frozen=True)
class Rubric:
    """A judging instruction with ``{field}`` slots filled from each item."""

    name: str
    version: str
    template: str

    def render(self, fields: dict[str, str]) -> str:
        return self.template.format(**fields)


class LLMJudge:
    """Sends rubric prompts to a judge model and returns its raw replies (None on failure)."""

    def __init__(
        self, spec: ModelSpec, store: Store, on_progress: Callable[[int], None] | None = None
    ):
        self.spec = spec
        self.store = store
        self.name = f"llm-judge:{spec.spec_string}"
        self._on_progress = on_progress
        self.calls = 0
        self._local: ModelBackend | None = None  # an in-process judge model, loaded once

    def _backend(self) -> ModelBackend:
        # An HTTP client belongs to one event loop, so it is made per call; a model that runs in
        # this process is kept for every task of the run instead of being loaded again each time.
        if self.spec.kind not in IN_PROCESS_KINDS:
            return create_backend(self.spec)
        if self._local is None:
            self._local = create_backend(self.spec)
        return self._local

    def ask(
        self,
        rubric: Rubric,
        items: Sequence[dict[str, str]],
        read: Callable[[str | None], object] | None = None,
    ) -> list[str | None]:
        """The judge's reply per item. With ``read`` (a strict parser returning None for an
        unreadable verdict), an unreadable reply is asked again once, with the first reply and a
        reminder of the format; the second reply stands, readable or not."""
        conversations = [
            [
                {"role": "system", "content": f"trustbench rubric {rubric.name} v{rubric.version}"},
                {"role": "user", "content": rubric.render(fields)},
            ]
            for fields in items
        ]
        replies = self._complete(conversations)
        if read is None:
            return replies
        again = [i for i, reply in enumerate(replies) if read(reply) is None and reply is not None]
        if again:
            follow_ups = [
                conversations[i]
                + [
                    {"role": "assistant", "content": replies[i] or ""},
                    {"role": "user", "content": REASK},
                ]
                for i in again
            ]
            for i, reply in zip(again, self._complete(follow_ups), strict=True):
                replies[i] = reply
        return replies

    def _complete(self, conversations: list[list[dict[str, str]]]) -> list[str | None]:
        requests = [
            GenerationRequest(
                request_key(self.spec.model_id, JUDGE_SAMPLING, messages), messages, JUDGE_SAMPLING
            )
            for messages in conversations
        ]
        generator = Generator(self.store, self.spec.model_id, self._backend)

        async def run():
            try:
                return await generator.run(requests, self._on_progress)
            finally:
                if self.spec.kind not in IN_PROCESS_KINDS:
                    await generator.aclose()

        outcomes = asyncio.run(run())
        self.calls += generator.calls
        return [outcomes[r.key].response for r in requests]
