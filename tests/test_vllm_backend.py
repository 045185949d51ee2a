"""The vLLM backend. Spec and option checks run everywhere; generation needs vLLM installed
(``pip install trustbench[vllm]``) and is skipped where it is not."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest

from tiny_models import tiny_chat_lm
from trustbench.errors import ModelError, UsageError
from trustbench.models import GenerationRequest, create_backend, parse_model_spec
from trustbench.models.vllm_backend import VLLMBackend
from trustbench.types import SamplingParams

HAS_VLLM = importlib.util.find_spec("vllm") is not None
PROMPTS = ["hello world", "what is the red cat", "tell me about you please", "why"]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    # head size 64, which every vLLM attention kernel supports
    return tiny_chat_lm(tmp_path_factory.mktemp("tiny-vllm"), hidden=128, heads=2)


def _requests(sampling):
    return [
        GenerationRequest(f"k{i}", [{"role": "user", "content": prompt}], sampling)
        for i, prompt in enumerate(PROMPTS)
    ]


def test_spec_options_become_engine_arguments(tiny_lm):
    spec = parse_model_spec(
        f"vllm:{tiny_lm}?tensor_parallel_size=2&gpu_memory_utilization=0.5&max_model_len=256"
        "&dtype=float16&enforce_eager=1&batch_size=64"
    )
    assert spec.kind == "vllm" and spec.model_id.endswith(":float16")
    backend = create_backend(spec)
    assert isinstance(backend, VLLMBackend)
    assert backend.max_concurrency == 128
    assert backend.engine_arguments(tiny_lm) == {
        "model": str(tiny_lm),
        "tokenizer": str(tiny_lm),
        "trust_remote_code": False,
        "seed": 0,
        "dtype": "float16",
        "tensor_parallel_size": 2,
        "max_model_len": 256,
        "gpu_memory_utilization": 0.5,
        "enforce_eager": True,
    }


def test_bad_vllm_specs_are_usage_errors(tmp_path, tiny_lm):
    with pytest.raises(UsageError, match="model folder not found"):
        parse_model_spec(f"vllm:{tmp_path / 'nowhere'}")
    with pytest.raises(UsageError, match="gpu_memory_utilization is a fraction"):
        parse_model_spec(f"vllm:{tiny_lm}?gpu_memory_utilization=2")
    with pytest.raises(UsageError, match="unknown option 'device'"):
        parse_model_spec(f"vllm:{tiny_lm}?device=cpu")  # hf's option, not vLLM's


@pytest.mark.skipif(HAS_VLLM, reason="checks the message shown where vLLM is missing")
def test_without_vllm_generation_says_how_to_install_it(tiny_lm):
    backend = create_backend(parse_model_spec(f"vllm:{tiny_lm}"))
    request = _requests(SamplingParams(0.0, 4))[0]
    with pytest.raises(ModelError, match=r"pip install 'trustbench\[vllm\]'"):
        asyncio.run(backend.generate(request))


@pytest.mark.skipif(HAS_VLLM, reason="checks the message shown where vLLM is missing")
def test_without_vllm_a_run_stops_before_it_starts(tmp_path, tiny_lm):
    from trustbench.cli import main

    code = main(["run", "--model", f"vllm:{tiny_lm}", "--limit", "1", "--out", str(tmp_path)])
    assert code == 2
    assert not (tmp_path / "run.json").exists()


# -- with vLLM installed


@pytest.fixture(scope="module")
def vllm_backend(tiny_lm):
    pytest.importorskip("vllm")
    spec = parse_model_spec(
        f"vllm:{tiny_lm}?gpu_memory_utilization=0.3&max_model_len=256&enforce_eager=1"
    )
    backend = create_backend(spec)
    yield backend
    asyncio.run(backend.aclose())


def _generate(backend, requests, batched=True):
    async def go():
        if batched:
            return await asyncio.gather(*(backend.generate(r) for r in requests))
        return [await backend.generate(r) for r in requests]

    return asyncio.run(go())


def test_vllm_generates_a_batch_in_one_call(vllm_backend):
    requests = _requests(SamplingParams(temperature=0.0, max_tokens=6))
    batches_before = vllm_backend._batcher.batches
    results = _generate(vllm_backend, requests)
    assert vllm_backend._batcher.batches == batches_before + 1
    assert vllm_backend.loads == 1
    for result in results:
        assert result.ok
        assert result.finish_reason in ("stop", "length")
        assert 1 <= result.usage["completion_tokens"] <= 6
        assert result.usage["prompt_tokens"] > 0
    assert _generate(vllm_backend, requests) == results  # greedy: the same batch, the same text


def test_vllm_respects_max_tokens(vllm_backend):
    results = _generate(vllm_backend, _requests(SamplingParams(temperature=0.0, max_tokens=2)))
    for result in results:
        assert result.usage["completion_tokens"] <= 2
        if result.usage["completion_tokens"] == 2:
            assert result.finish_reason == "length"


def test_vllm_one_by_one_gives_a_result_per_request(vllm_backend):
    requests = _requests(SamplingParams(temperature=1.0, max_tokens=4, seed=3))
    first = _generate(vllm_backend, requests, batched=False)
    assert all(result.ok for result in first)
    assert _generate(vllm_backend, requests, batched=False) == first  # seeded per request


def test_evaluate_with_a_vllm_model(tmp_path, tiny_lm):
    pytest.importorskip("vllm")
    import trustbench

    model = f"vllm:{tiny_lm}?gpu_memory_utilization=0.3&max_model_len=256&enforce_eager=1"
    trustbench.evaluate(
        model=model, tasks="safety/misuse", limit=3, max_tokens=4, out=tmp_path / "run"
    )
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["model_calls"] == 3 and manifest["model"]["kind"] == "vllm"
