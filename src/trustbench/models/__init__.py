"""Model backends behind one async protocol; heavy libraries load only when a backend is built."""

from __future__ import annotations

from .base import GenerationRequest, GenerationResult, ModelBackend
from .spec import ModelSpec, default_gguf_path, parse_model_spec


def create_backend(spec: ModelSpec) -> ModelBackend:
    if spec.kind == "llamacpp":
        from .llamacpp import LlamaCppBackend

        assert spec.path is not None
        return LlamaCppBackend(spec.path)
    from .openai_http import OpenAIBackend

    assert spec.base_urls
    return OpenAIBackend(spec.name, spec.base_urls, spec.api_key_env, spec.concurrency, spec.http)


__all__ = [
    "GenerationRequest",
    "GenerationResult",
    "ModelBackend",
    "ModelSpec",
    "create_backend",
    "default_gguf_path",
    "parse_model_spec",
]
