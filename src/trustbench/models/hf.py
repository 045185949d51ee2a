"""Hugging Face transformers, in-process: batched generation with the model's own chat template.

Requests in flight are gathered into batches (left padding, one ``generate`` call per batch) on
CPU or GPU. The model is loaded once, on first need, from a local folder only.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .base import GenerationRequest, GenerationResult
from .batching import MicroBatcher
from .local_spec import is_flag_set, local_folder
from .spec import ModelSpec

DEFAULT_BATCH_CPU = 8
DEFAULT_BATCH_GPU = 32
DTYPES = ("auto", "float32", "float16", "bfloat16")


def default_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def default_dtype(device: str) -> Any:
    """bfloat16 on a GPU that has it (float16 otherwise), float32 on CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


class HFBackend:
    """A causal LM and its tokenizer; greedy at temperature 0, seeded sampling otherwise."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        spec: ModelSpec | None = None,
        device: str | None = None,
        dtype: str | None = None,
        device_map: str | None = None,
        batch_size: int | None = None,
        trust_remote_code: bool = False,
        threads: int | None = None,
    ):
        if folder is None and spec is None:
            raise ValueError("HFBackend needs a folder or a spec")
        if dtype is not None and dtype not in DTYPES:
            raise ModelError(f"hf: dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        self.folder = folder
        self.spec = spec
        self.device = device if device not in (None, "auto") else default_device()
        self.dtype = dtype
        self.device_map = device_map
        self.trust_remote_code = trust_remote_code
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.loads = 0
        size = batch_size or (DEFAULT_BATCH_CPU if self.device == "cpu" else DEFAULT_BATCH_GPU)
        self._batcher = MicroBatcher(self._generate_batch, size)
        # two batches in flight: one running, the next one queued behind it
        self.max_concurrency = 2 * self._batcher.batch_size

    @classmethod
    def from_spec(cls, spec: ModelSpec, threads: int | None = None) -> HFBackend:
        batch = spec.option("batch_size")
        return cls(
            spec=spec,
            device=spec.option("device"),
            dtype=spec.option("dtype"),
            device_map=spec.option("device_map"),
            batch_size=int(batch) if batch else None,
            trust_remote_code=is_flag_set(spec.option("trust_remote_code")),
            threads=threads,
        )

    def load(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> tuple[Any, Any]:
        if self._model is not None:
            return self._model, self._tokenizer
        try:
            import torch
            import transformers
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError(f"hf: transformers and torch are needed ({exc})") from None
        if self.threads:
            torch.set_num_threads(self.threads)
        folder = self.folder or local_folder(self.spec)  # type: ignore[arg-type]
        if not Path(folder).is_dir():
            raise ModelError(f"hf: model folder not found: {folder}")
        device = self.device
        dtype = (
            default_dtype(device) if self.dtype in (None, "auto") else getattr(torch, self.dtype)
        )
        quiet = transformers.utils.logging
        bars_were_on = quiet.is_progress_bar_enabled()
        quiet.disable_progress_bar()
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                folder, local_files_only=True, trust_remote_code=self.trust_remote_code
            )
            kwargs: dict[str, Any] = {"dtype": dtype}
            if self.device_map:
                kwargs["device_map"] = self.device_map  # needs accelerate
            model = transformers.AutoModelForCausalLM.from_pretrained(
                folder,
                local_files_only=True,
                trust_remote_code=self.trust_remote_code,
                **kwargs,
            )
        except (OSError, ValueError, ImportError, KeyError) as exc:
            raise ModelError(f"hf: cannot load {folder}: {exc}") from None
        finally:
            if bars_were_on:
                quiet.enable_progress_bar()
        if not self.device_map:
            model.to(device)
        model.eval()
        if not getattr(tokenizer, "chat_template", None):
            raise ModelError(
                f"hf: {folder} has no chat template (tokenizer_config.json or chat_template.jinja); "
                "trustbench sends chat messages, so it needs an instruction-tuned model"
            )
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._model, self._tokenizer = model, tokenizer
        self.loads += 1
        return model, tokenizer

    def _stop_ids(self, model: Any, tokenizer: Any) -> list[int]:
        ids = model.generation_config.eos_token_id
        ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
            ids.append(tokenizer.eos_token_id)
        return ids

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        with self._lock:
            if self._closing.is_set():
                return [GenerationResult(None, error="cancelled") for _ in requests]
            model, tokenizer = self._load()
            return self._generate_loaded(model, tokenizer, requests)

    def _generate_loaded(
        self, model: Any, tokenizer: Any, requests: list[GenerationRequest]
    ) -> list[GenerationResult]:
        import torch
        import transformers

        results: list[GenerationResult | None] = [None] * len(requests)
        prompts: list[tuple[int, str]] = []
        context = getattr(model.config, "max_position_embeddings", None)
        sampling = requests[0].sampling
        for index, request in enumerate(requests):
            try:
                text = tokenizer.apply_chat_template(
                    request.messages, add_generation_prompt=True, tokenize=False
                )
            except Exception as exc:  # jinja errors, e.g. a template that refuses system turns
                results[index] = GenerationResult(None, error=f"hf: chat template: {exc}")
                continue
            prompts.append((index, text))
        if prompts:
            encoded = tokenizer(
                [text for _, text in prompts],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,  # the chat template already adds BOS where it wants one
            )
            lengths = encoded["attention_mask"].sum(dim=1).tolist()
            keep = [
                row
                for row, length in enumerate(lengths)
                if context is None or length + sampling.max_tokens <= context
            ]
            for row, length in enumerate(lengths):
                if row not in keep:
                    results[prompts[row][0]] = GenerationResult(
                        None,
                        error=f"hf: prompt of {length} tokens plus max_tokens "
                        f"{sampling.max_tokens} exceeds the model's context of {context}",
                    )
            if keep:
                inputs = {key: value[keep] for key, value in encoded.items()}
                if len(keep) < len(lengths):  # drop the columns that only padded removed rows
                    width = max(lengths[row] for row in keep)
                    inputs = {key: value[:, -width:] for key, value in inputs.items()}
                device = model.device
                inputs = {key: value.to(device) for key, value in inputs.items()}
                stop_ids = self._stop_ids(model, tokenizer)
                config = transformers.GenerationConfig(
                    max_new_tokens=sampling.max_tokens,
                    do_sample=sampling.temperature > 0,
                    eos_token_id=stop_ids or None,
                    pad_token_id=tokenizer.pad_token_id,
                )
                if sampling.temperature > 0:
                    config.temperature = sampling.temperature
                    config.top_p = sampling.top_p
                    config.top_k = 0
                    torch.manual_seed(sampling.seed)
                closing = _StopWhenClosing(self._closing)
                with torch.inference_mode():
                    output = model.generate(
                        **inputs,
                        generation_config=config,
                        stopping_criteria=transformers.StoppingCriteriaList([closing]),
                    )
                if self._closing.is_set():  # cut short by Ctrl-C: not real responses
                    return [GenerationResult(None, error="cancelled") for _ in requests]
                width = inputs["input_ids"].shape[1]
                for out_row, row in enumerate(keep):
                    generated = output[out_row, width:].tolist()
                    results[prompts[row][0]] = _result(
                        tokenizer, generated, stop_ids, lengths[row], sampling.max_tokens
                    )
        return [
            r if r is not None else GenerationResult(None, error="hf: no result") for r in results
        ]

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        return await self._batcher.submit(request)

    def _close_sync(self) -> None:
        with self._lock:  # a batch still running stops at its next token, then this goes on
            self._model = self._tokenizer = None

    async def aclose(self) -> None:
        from .batching import run_in_daemon_thread

        self._closing.set()
        self._batcher.cancel()
        await run_in_daemon_thread(self._close_sync)


class _StopWhenClosing:
    """Ends every row of a batch at the next token once the run is closing (Ctrl-C)."""

    def __init__(self, closing: threading.Event):
        self.closing = closing

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full(
            (input_ids.shape[0],), self.closing.is_set(), dtype=torch.bool, device=input_ids.device
        )


def _result(
    tokenizer: Any, generated: list[int], stop_ids: list[int], prompt_tokens: int, max_tokens: int
) -> GenerationResult:
    """Text up to the first stop token; ``stop`` if one came, else ``length``."""
    stop = next((i for i, token in enumerate(generated) if token in stop_ids), None)
    tokens = generated if stop is None else generated[:stop]
    finish = "stop" if stop is not None else "length"
    if stop is None and len(generated) < max_tokens:  # only when a stop criterion ended it early
        finish = "stop"
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    usage = {
        "prompt_tokens": int(prompt_tokens),
        "completion_tokens": len(tokens),
        "total_tokens": int(prompt_tokens) + len(tokens),
    }
    return GenerationResult(text, finish_reason=finish, usage=usage)
