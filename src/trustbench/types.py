"""Small types shared by every stage of the pipeline."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Message = dict[str, str]


@dataclass(frozen=True)
class SamplingParams:
    """How a response is sampled; part of every request's store key."""

    temperature: float = 0.0
    max_tokens: int = 512
    top_p: float = 1.0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        # The same dict as dataclasses.asdict (field order included), at a tenth of the cost:
        # it is part of every request key.
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
        }


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def request_key(model_id: str, sampling: SamplingParams, messages: list[Message]) -> str:
    """Content address of one request: same model, params and messages give the same key.

    The SHA-256 of ``canonical_json({"model": …, "sampling": …, "messages": …})``; the part
    after the messages (keys sorted: messages, model, sampling) is the same for every request
    of a task, so it is encoded once."""
    payload = '{"messages":' + canonical_json(messages) + _key_tail(model_id, sampling)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@lru_cache(maxsize=256)
def _key_tail(model_id: str, sampling: SamplingParams) -> str:
    return f',"model":{canonical_json(model_id)},"sampling":{canonical_json(sampling.to_dict())}}}'


@dataclass(frozen=True)
class Verdict:
    """What a judge read from one response.

    ``label`` is the parsed answer (``"refusal"``, ``"A"``, ``"yes"``...); ``valid`` is False when
    no parser could read the response; ``fields`` carries extra per-item values a metric needs.
    """

    label: str | None
    valid: bool
    judge: str
    judge_version: str
    layer: str = ""
    score: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "valid": self.valid,
            "judge": self.judge,
            "judge_version": self.judge_version,
            "layer": self.layer,
            "score": self.score,
            **({"fields": self.fields} if self.fields else {}),
        }
