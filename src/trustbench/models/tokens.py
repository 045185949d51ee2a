"""Counting the prompt tokens of chat requests before any model is called.

A local GGUF model is counted exactly: its own tokenizer and chat template, through the same
llama.cpp chat handler that generation uses, with only the vocabulary loaded (no weights). A remote
model's tokenizer is not at hand, so its count is an estimate: 4 characters per token, plus 4
tokens per message for the chat markup and 3 for the start of the reply (the rule of thumb OpenAI
documents for its chat models). Each counter says which method it used.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..errors import ModelError
from ..types import Message
from .spec import ModelSpec

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3


class TokenCounter(Protocol):
    method: str  # how the count is made, shown to the user
    exact: bool

    def count(self, messages: list[Message]) -> int: ...


def estimate_tokens(text: str) -> int:
    """The character estimate for one text: ``ceil(len / 4)``."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class CharEstimate:
    """4 characters per token, plus the chat markup; for models whose tokenizer is not local."""

    exact = False
    method = (
        f"estimate: {CHARS_PER_TOKEN} characters per token + {TOKENS_PER_MESSAGE} per message "
        f"+ {TOKENS_PER_REPLY} per request"
    )

    def count(self, messages: list[Message]) -> int:
        content = sum(estimate_tokens(str(m.get("content") or "")) for m in messages)
        return content + TOKENS_PER_MESSAGE * len(messages) + TOKENS_PER_REPLY


class _Captured(Exception):
    def __init__(self, tokens: list[int]):
        super().__init__("prompt tokens captured")
        self.tokens = tokens


class _Probe:
    """Stands in for a Llama inside its chat handler: the handler applies the chat template and
    tokenizes as for generation, then asks for a completion, which is where the probe stops."""

    def __init__(self, llama: Any):
        self._llama = llama

    def create_completion(self, prompt: list[int], **_: Any) -> Any:
        raise _Captured(list(prompt))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp writes notes to file descriptor 2 while loading, whatever ``verbose`` says."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LlamaCppTokens:
    """Exact counts for a GGUF model: its tokenizer and chat template, weights not loaded."""

    exact = True

    def __init__(self, path: Path):
        try:
            from llama_cpp import Llama, llama_chat_format
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError(f"llama-cpp-python is not installed ({exc})") from None
        try:
            with _quiet_stderr():
                self._llama = Llama(model_path=str(path), vocab_only=True, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot read the tokenizer of {path}: {exc}") from None
        llama = self._llama
        self._handler = (
            llama.chat_handler
            or llama._chat_handlers.get(llama.chat_format)
            or llama_chat_format.get_chat_completion_handler(llama.chat_format)
        )
        self.method = f"llama.cpp tokenizer and chat template of {path.name}"

    def count(self, messages: list[Message]) -> int:
        try:
            self._handler(llama=_Probe(self._llama), messages=messages, max_tokens=1)
        except _Captured as captured:
            return len(captured.tokens)
        raise ModelError("the llama.cpp chat handler did not reach the completion step")


def token_counter(spec: ModelSpec) -> TokenCounter:
    """The most exact counter available for ``spec`` without calling or loading the model."""
    if spec.kind == "llamacpp" and spec.path is not None:
        return LlamaCppTokens(spec.path)
    return CharEstimate()
