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
from ..models import GenerationRequest, ModelSpec, create_backend
from ..types import SamplingParams, request_key

JUDGE_SAMPLING = SamplingParams(temperature=0.0, max_tokens=128, top_p=1.0, seed=0)


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

    def ask(self, rubric: Rubric, items: Sequence[dict[str, str]]) -> list[str | None]:
        requests = []
        for fields in items:
            messages = [
                {"role": "system", "content": f"trustbench rubric {rubric.name} v{rubric.version}"},
                {"role": "user", "content": rubric.render(fields)},
            ]
            key = request_key(self.spec.model_id, JUDGE_SAMPLING, messages)
            requests.append(GenerationRequest(key, messages, JUDGE_SAMPLING))
        generator = Generator(self.store, self.spec.model_id, lambda: create_backend(self.spec))

        async def run():
            try:
                return await generator.run(requests, self._on_progress)
            finally:
                await generator.aclose()

        outcomes = asyncio.run(run())
        self.calls += generator.calls
        return [outcomes[r.key].response for r in requests]
