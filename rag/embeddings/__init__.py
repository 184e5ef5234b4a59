"""Embedders by spec string: ``use`` (default) or ``sentence-transformers:NAME_OR_PATH``."""
from __future__ import annotations

from .base import Embedder, EmbedderError
from .use import USEEmbedder

DEFAULT_EMBEDDER = "use"


def make_embedder(spec: str | None = None, *, settings=None, **options) -> Embedder:
    """Build the embedder a spec names.

    ``use`` / ``use-multilingual-v3``: the bundled multilingual USE (default).
    ``sentence-transformers:NAME_OR_PATH``: any sentence-transformers model
    (needs the ``st`` extra); options: device, batch_size.
    ``settings`` (rag.settings.Settings; default: this process's) give what the options do not.
    """
    spec = (spec or DEFAULT_EMBEDDER).strip()
    if spec in ("use", "use-multilingual-v3"):
        return USEEmbedder(settings=settings)
    kind, _, name = spec.partition(":")
    if kind in ("sentence-transformers", "st") and name:
        from .sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(name, settings=settings, **options)
    raise EmbedderError(
        f"unknown embedder {spec!r}: use 'use' (default) or 'sentence-transformers:NAME_OR_PATH'")


__all__ = ["DEFAULT_EMBEDDER", "Embedder", "EmbedderError", "USEEmbedder", "make_embedder"]
