"""The transformers backend on a tiny random Llama made in the test: batching, stops, errors."""

from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

import trustbench  # noqa: E402
from tiny_models import tiny_chat_lm  # noqa: E402
from trustbench.errors import ModelError, UsageError  # noqa: E402
from trustbench.models import GenerationRequest, create_backend, parse_model_spec  # noqa: E402
from trustbench.types import SamplingParams  # noqa: E402

PROMPTS = [
    "hello world",
    "what is the red cat",
    "tell me about you please",
    "why",
    "how can i help the dog on the mat",
    "sure yes no sorry",
]
GREEDY = SamplingParams(temperature=0.0, max_tokens=8)


def _requests(prompts, sampling=GREEDY, system=None):
    requests = []
    for i, prompt in enumerate(prompts):
        messages = [{"role": "user", "content": prompt}]
        if system:
            messages.insert(0, {"role": "system", "content": system})
        requests.append(GenerationRequest(f"k{i}", messages, sampling))
    return requests


async def _batched(backend, requests):
    return await asyncio.gather(*(backend.generate(r) for r in requests))


async def _one_by_one(backend, requests):
    return [await backend.generate(r) for r in requests]


def _run(spec_text, requests, batched=True):
    backend = create_backend(parse_model_spec(spec_text))

    async def go():
        try:
            return await (_batched if batched else _one_by_one)(backend, requests)
        finally:
            await backend.aclose()

    results = asyncio.run(go())
    return results, backend


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    return tiny_chat_lm(tmp_path_factory.mktemp("tiny-llama"))


def test_batched_output_equals_one_by_one_under_greedy_decoding(tiny_lm):
    requests = _requests(PROMPTS)
    batched, backend = _run(f"hf:{tiny_lm}?batch_size=4", requests)
    assert backend._batcher.batches == 2  # 6 requests in flight: a batch of 4, then one of 2
    assert backend.loads == 1
    single, _ = _run(f"hf:{tiny_lm}?batch_size=4", requests, batched=False)
    assert batched == single
    assert len({r.text for r in batched}) > 1  # the prompts really lead to different replies
    for result, request in zip(batched, requests, strict=True):
        assert result.ok and result.text.strip()
        assert result.finish_reason == "length"
        usage = result.usage
        assert usage["completion_tokens"] == 8
        assert usage["prompt_tokens"] == len(request.messages[0]["content"].split()) + 2
        assert usage["total_tokens"] == usage["prompt_tokens"] + 8


def test_max_tokens_is_respected(tiny_lm):
    for max_tokens in (1, 3):
        sampling = SamplingParams(temperature=0.0, max_tokens=max_tokens)
        results, _ = _run(f"hf:{tiny_lm}", _requests(PROMPTS[:3], sampling))
        for result in results:
            assert result.usage["completion_tokens"] == max_tokens
            assert result.finish_reason == "length"
            assert len(result.text.split()) <= max_tokens


def test_a_stop_token_ends_one_row_of_a_batch_and_not_the_others(tmp_path, tiny_lm):
    """Pick a word that one prompt produces early and another never does, make it the EOS
    token of an otherwise identical model, and run both prompts in one batch."""
    requests = _requests(PROMPTS)
    before, _ = _run(f"hf:{tiny_lm}", requests)
    words = [r.text.split() for r in before]
    choice = None
    for a, first in enumerate(words):
        for position in (1, 2, 3):
            word = first[position]
            if word in first[:position]:
                continue
            others = [b for b, other in enumerate(words) if word not in other]
            if others:
                choice = (a, position, word, others[0])
                break
        if choice:
            break
    assert choice is not None, words
    a, position, word, b = choice
    folder = tiny_chat_lm(tmp_path / "stops", eos_word=word)
    pair = [requests[a], requests[b]]
    after, _ = _run(f"hf:{folder}", pair)
    assert after == _run(f"hf:{folder}", pair, batched=False)[0]
    stopped, running = after
    assert stopped.finish_reason == "stop"
    assert stopped.text.split() == words[a][:position]
    assert stopped.usage["completion_tokens"] == position
    assert running.finish_reason == "length"
    assert running.text == before[b].text


def test_sampling_is_seeded(tiny_lm):
    def sample(seed):
        sampling = SamplingParams(temperature=1.0, max_tokens=12, seed=seed)
        return [r.text for r in _run(f"hf:{tiny_lm}", _requests(PROMPTS[:3], sampling))[0]]

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_template_and_context_errors_are_per_item(tmp_path):
    template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('system turns are not supported') }}{% endif %}"
        "<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}<|assistant|>"
    )
    folder = tiny_chat_lm(tmp_path / "strict", chat_template=template)
    requests = _requests(PROMPTS[:2]) + _requests(PROMPTS[2:3], system="be nice")
    requests[2] = GenerationRequest("k2", requests[2].messages, GREEDY)
    results, _ = _run(f"hf:{folder}", requests)
    assert results[0].ok and results[1].ok
    assert not results[2].ok and "system turns are not supported" in results[2].error
    too_long = SamplingParams(temperature=0.0, max_tokens=300)  # the model has 256 positions
    mixed = _requests(PROMPTS[:1]) + _requests(PROMPTS[1:2], too_long)
    results, _ = _run(f"hf:{folder}", mixed)
    assert results[0].ok
    assert not results[1].ok and "context of 256" in results[1].error


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match="model folder not found"):
        parse_model_spec(f"hf:{tmp_path / 'nowhere'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="holds no config.json"):
        parse_model_spec(f"hf:{tmp_path / 'empty'}")
    with pytest.raises(UsageError, match=r"nor in the local Hugging Face cache.*\?download=1"):
        parse_model_spec("hf:trustbench-tests/no-such-model")
    with pytest.raises(UsageError, match="unknown option 'colour'"):
        parse_model_spec(f"hf:{tmp_path}?colour=red")
    with pytest.raises(UsageError, match="batch_size must be a positive integer"):
        parse_model_spec(f"hf:{tmp_path}?batch_size=0")


def test_cli_reports_a_missing_folder_with_exit_status_2(tmp_path):
    from trustbench.cli import main

    assert main(["run", "--model", f"hf:{tmp_path / 'nowhere'}", "--out", str(tmp_path)]) == 2


def test_a_model_without_chat_template_is_refused_at_load(tmp_path):
    folder = tiny_chat_lm(tmp_path / "plain", chat_template=None)
    with pytest.raises(ModelError, match="no chat template"):
        _run(f"hf:{folder}", _requests(PROMPTS[:1]))


def test_spec_identity_and_round_trip(tiny_lm):
    spec = parse_model_spec(f"hf:{tiny_lm}?batch_size=4")
    assert spec.kind == "hf" and spec.path == tiny_lm
    assert spec.spec_string == f"hf:{tiny_lm}?batch_size=4"
    assert parse_model_spec(spec.spec_string) == spec
    assert spec.model_id.startswith(f"hf:{tiny_lm.name}:")
    # batch size and device do not change what is generated; dtype and the files do
    assert parse_model_spec(f"hf:{tiny_lm}?device=cpu").model_id == spec.model_id
    assert parse_model_spec(f"hf:{tiny_lm}?dtype=bfloat16").model_id != spec.model_id
    assert parse_model_spec(f"vllm:{tiny_lm}").model_id != spec.model_id


def test_evaluate_with_an_hf_model_then_resume(tmp_path, tiny_lm):
    options = {"tasks": "safety/misuse", "limit": 3, "max_tokens": 4, "store": tmp_path / "s.db"}
    first = trustbench.evaluate(model=f"hf:{tiny_lm}", out=tmp_path / "a", **options)
    manifest = json.loads((tmp_path / "a" / "run.json").read_text())
    assert manifest["model_calls"] == 3 and manifest["model"]["kind"] == "hf"
    assert manifest["executor"] == {"kind": "local"}
    rows = [json.loads(line) for line in (tmp_path / "a" / "responses.jsonl").open()]
    assert len(rows) == 3 and all(isinstance(row["response"], str) for row in rows)
    again = trustbench.evaluate(model=f"hf:{tiny_lm}", out=tmp_path / "b", **options)
    assert json.loads((tmp_path / "b" / "run.json").read_text())["model_calls"] == 0
    assert again.tasks == first.tasks
