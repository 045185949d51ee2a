"""``hf:`` and ``vllm:`` specs: a local model folder or a Hugging Face hub id, with options.

``hf:/models/qwen2.5-7b-instruct?dtype=bfloat16&batch_size=16`` or ``vllm:Qwen/Qwen2.5-7B-Instruct``.
A hub id is looked up in the local Hugging Face cache only; ``?download=1`` allows fetching it.
Whatever the source, the model is then loaded from a local folder with no network call.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import ModelError, UsageError
from .spec import ModelSpec

COMMON_OPTIONS = {"download", "revision", "dtype", "batch_size", "trust_remote_code"}
KNOWN_OPTIONS = {
    "hf": COMMON_OPTIONS | {"device", "device_map"},
    "vllm": COMMON_OPTIONS
    | {"tensor_parallel_size", "gpu_memory_utilization", "max_model_len", "enforce_eager"},
}
INTEGER_OPTIONS = {"batch_size", "tensor_parallel_size", "max_model_len"}
FLAG_OPTIONS = {"download", "trust_remote_code", "enforce_eager"}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack")


def _parse_options(kind: str, query: str) -> tuple[tuple[str, str], ...]:
    options: list[tuple[str, str]] = []
    for part in filter(None, query.split("&")):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise UsageError(f"{kind}: option {part!r} needs a value (name=value)")
        if key not in KNOWN_OPTIONS[kind]:
            known = ", ".join(sorted(KNOWN_OPTIONS[kind]))
            raise UsageError(f"{kind}: unknown option {key!r}; known options: {known}")
        if key in FLAG_OPTIONS and value not in ("0", "1", "true", "false"):
            raise UsageError(f"{kind}: option {key} is 1 or 0, not {value!r}")
        if key in INTEGER_OPTIONS and not (value.isdigit() and int(value) > 0):
            raise UsageError(f"{kind}: option {key} must be a positive integer, not {value!r}")
        if key == "gpu_memory_utilization":
            try:
                fraction = float(value)
            except ValueError:
                fraction = -1.0
            if not 0 < fraction <= 1:
                raise UsageError(f"{kind}: gpu_memory_utilization is a fraction in (0, 1]")
        options.append((key, value))
    return tuple(options)


def is_flag_set(value: str | None) -> bool:
    return value in ("1", "true")


def _looks_like_path(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or Path(source).expanduser().exists()


def folder_fingerprint(folder: Path) -> str:
    """A cheap identity of a model folder: its config and the names and sizes of its weights."""
    digest = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith(WEIGHT_SUFFIXES):
            digest.update(f"{path.name}:{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


def resolve_hub_folder(repo_id: str, revision: str | None, download: bool) -> Path | None:
    """The local snapshot of a hub model; with ``download`` it is fetched if missing.

    None when it is not in the cache and downloads are not allowed.
    """
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:  # pragma: no cover - comes with transformers
        raise ModelError(f"huggingface_hub is needed to find {repo_id} ({exc})") from None
    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        if not download:
            return None
    try:
        return Path(snapshot_download(repo_id, revision=revision))
    except Exception as exc:  # network, authentication, unknown repository
        raise ModelError(f"cannot download {repo_id}: {type(exc).__name__}: {exc}") from None


def parse_local_spec(kind: str, rest: str) -> ModelSpec:
    """Check a ``hf:``/``vllm:`` spec and find its local folder (nothing is loaded yet)."""
    source, _, query = rest.partition("?")
    if not source:
        raise UsageError(f"{kind} models need a folder or hub id: --model {kind}:<folder or id>")
    options = _parse_options(kind, query)
    values = dict(options)
    if _looks_like_path(source):
        folder = Path(source).expanduser().resolve()
        if not folder.is_dir():
            raise UsageError(f"{kind}: model folder not found: {folder}")
        if not (folder / "config.json").is_file():
            raise UsageError(f"{kind}: {folder} holds no config.json; is it a model folder?")
        name, source = folder.name, str(folder)
    else:
        folder = resolve_hub_folder(
            source, values.get("revision"), is_flag_set(values.get("download"))
        )
        if folder is None:
            raise UsageError(
                f"{kind}: {source} is neither a folder nor in the local Hugging Face cache; "
                f"give a local folder, or allow the download with --model '{kind}:{source}?download=1'"
            )
        name = source
    identity = f"{kind}:{name}:{folder_fingerprint(folder)}"
    if "dtype" in values and values["dtype"] != "auto":
        identity += f":{values['dtype']}"
    return ModelSpec(kind, name, path=folder, source=source, options=options, identity=identity)


def local_folder(spec: ModelSpec) -> Path:
    """The spec's folder on this machine: on another node of a cluster it is looked up again."""
    if spec.path is not None and spec.path.is_dir():
        return spec.path
    if _looks_like_path(spec.source) or spec.source.startswith("/"):
        raise ModelError(f"{spec.kind}: model folder not found on this machine: {spec.path}")
    folder = resolve_hub_folder(
        spec.source, spec.option("revision"), is_flag_set(spec.option("download"))
    )
    if folder is None:
        raise ModelError(f"{spec.kind}: {spec.source} is not in this machine's Hugging Face cache")
    return folder
