"""Rerankers: score (question, passage) pairs after retrieval, higher is better.

Spec strings for :func:`make_reranker`:

* ``None``, ``""``, ``"none"``, ``"off"``: no reranking (returns ``None``).
* ``sentence-transformers:NAME_OR_PATH`` (also ``st:`` or ``cross-encoder:``):
  a sentence-transformers ``CrossEncoder`` (needs the ``st`` extra), from a
  local directory or a hub name already in the local Hugging Face cache. Like
  the sentence-transformers embedder it never downloads anything.

Errors: every failure to create or load a reranker raises :class:`RerankerError`
with a one-paragraph message saying what to do (the ``st`` extra not installed:
:class:`rag.extras.MissingExtra`). ``RerankerError`` subclasses
:class:`rag.embeddings.EmbedderError`, so code that already reports model-loading
problems with ``except EmbedderError`` reports reranker problems the same way;
catch ``RerankerError`` to tell them apart.

Options (``make_reranker(spec, device=..., batch_size=..., settings=...)``): ``device``
and ``batch_size`` default to the settings' ``embedder.st_device`` (``RAG_ST_DEVICE``,
cpu) and ``embedder.st_batch_size`` (``RAG_ST_BATCH_SIZE``, 32); ``settings`` default to
this process's (rag.settings.current()).
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path

from rag.embeddings.base import EmbedderError
from rag.embeddings.sentence_transformers import (
    ST_NOTE,
    check_batch_size,
    check_device,
    default_batch_size,
    default_device,
    device_available,
    model_id,
    resolve_model,
    short_reason,
)
from rag.extras import MissingExtra, require


class RerankerError(EmbedderError):
    """A reranker could not be created or loaded; the message says why and what to do."""


class Reranker(ABC):
    """Scores passages against a question; higher means more relevant."""

    @property
    @abstractmethod
    def id(self) -> str:
        """Stable identifier of the model."""

    @abstractmethod
    def score(self, query: str, passages: list[str]) -> list[float]:
        """One score per passage, in the passages' order."""

    def rank(self, query: str, passages: list[str], top_k: int | None = None) -> list[tuple[int, float]]:
        """(index, score) pairs, best first; ties keep the original order."""
        scores = self.score(query, list(passages))
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        if top_k is not None:
            order = order[: max(0, top_k)]
        return [(i, scores[i]) for i in order]


class CrossEncoderReranker(Reranker):
    """A sentence-transformers ``CrossEncoder`` (one relevance logit per pair).

    Construction checks the model is on local disk (fast, no network, no torch
    import); the model loads on first :meth:`score`.
    """

    def __init__(self, name_or_path: str, device: str | None = None, batch_size: int | None = None, *,
                 settings=None):
        require("st", "the cross-encoder reranker", ST_NOTE)
        self._resolved = resolve_model(name_or_path, error=RerankerError,
                                       what="cross-encoder reranker model", flag="--reranker", settings=settings)
        self._device = (check_device(device, RerankerError) if device
                        else default_device(RerankerError, settings))
        self._batch_size = (check_batch_size(batch_size, RerankerError) if batch_size is not None
                            else default_batch_size(settings))
        self._id = model_id("ce", self._resolved)
        self._model = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._resolved.name

    @property
    def path(self) -> Path:
        return self._resolved.path

    @property
    def device(self) -> str:
        return self._device

    def __repr__(self) -> str:
        return f"CrossEncoderReranker({self.name!r}, device={self._device!r})"

    def _load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            try:
                from sentence_transformers import CrossEncoder
            except ImportError as exc:
                raise MissingExtra("the cross-encoder reranker", "st", f"{ST_NOTE} ({short_reason(exc)})") from None
            device_available(self._device, RerankerError)
            try:
                model = CrossEncoder(str(self._resolved.path), device=self._device,
                                     local_files_only=True)
            except Exception as exc:
                raise RerankerError(
                    f"could not load cross-encoder reranker model {self.name!r} from "
                    f"{self._resolved.path}: {short_reason(exc)}. Re-download it, or pass "
                    f"another directory: --reranker sentence-transformers:/path/to/model"
                ) from None
            self._model = model
            return model

    def score(self, query: str, passages: list[str]) -> list[float]:
        passages = list(passages)
        model = self._load()
        if not passages:
            return []
        pairs = [(query, p) for p in passages]
        out = model.predict(pairs, batch_size=self._batch_size, show_progress_bar=False,
                            convert_to_numpy=True)
        import numpy as np

        arr = np.asarray(out, dtype=np.float64)
        if arr.ndim == 2:
            if arr.shape[1] != 1:
                raise RerankerError(
                    f"cross-encoder {self.name!r} gives {arr.shape[1]} scores per pair; a "
                    f"reranker needs a model with one relevance output (num_labels=1)")
            arr = arr[:, 0]
        return [float(x) for x in arr.reshape(len(passages))]


def make_reranker(spec: str | None, **options) -> Reranker | None:
    """The reranker a spec names, or None for no reranking."""
    spec = (spec or "").strip()
    if not spec or spec.lower() in ("none", "off", "no", "false", "0"):
        return None
    kind, _, name = spec.partition(":")
    if kind in ("sentence-transformers", "st", "cross-encoder") and name.strip():
        return CrossEncoderReranker(name.strip(), **options)
    raise RerankerError(
        f"unknown reranker {spec!r}: use 'sentence-transformers:NAME_OR_PATH' "
        f"(a cross-encoder), or leave it empty for none")


__all__ = ["CrossEncoderReranker", "Reranker", "RerankerError", "make_reranker"]
