"""Model backends behind one async protocol; heavy libraries load only when a backend is built."""

from __future__ import annotations

from .base import GenerationRequest, GenerationResult, ModelBackend
from .spec import ModelSpec, default_gguf_path, parse_model_spec

IN_PROCESS_KINDS = ("llamacpp", "hf", "vllm")


def create_backend(spec: ModelSpec, threads: int | None = None) -> ModelBackend:
    """The backend for a spec; ``threads`` caps the CPU threads of an in-process model."""
    if spec.kind == "llamacpp":
        from .llamacpp import LlamaCppBackend

        assert spec.path is not None
        return LlamaCppBackend(spec.path, threads=threads)
    if spec.kind == "hf":
        from .hf import HFBackend

        return HFBackend.from_spec(spec, threads=threads)
    if spec.kind == "vllm":
        from .vllm_backend import VLLMBackend

        return VLLMBackend.from_spec(spec, threads=threads)
    from .openai_http import OpenAIBackend

    assert spec.base_urls
    return OpenAIBackend(spec.name, spec.base_urls, spec.api_key_env, spec.concurrency, spec.http)


__all__ = [
    "IN_PROCESS_KINDS",
    "GenerationRequest",
    "GenerationResult",
    "ModelBackend",
    "ModelSpec",
    "create_backend",
    "default_gguf_path",
    "parse_model_spec",
]
