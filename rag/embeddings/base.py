"""The one interface every embedder implements.

Embedders are LangChain ``Embeddings`` so they plug into LangChain components,
plus an ``id`` that the store records: an index built by one embedder must never
be queried with another (the vectors would be meaningless), so the id names the
model precisely enough to tell them apart.
"""
from __future__ import annotations

from abc import abstractmethod

from langchain_core.embeddings import Embeddings


class Embedder(Embeddings):
    """Maps texts to L2-normalised float vectors of a fixed dimension."""

    @property
    @abstractmethod
    def id(self) -> str:
        """Stable identifier of the model, e.g. ``use-multilingual-v3``."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for passages being stored."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """Vector for a question (some models embed questions differently)."""

    def embed_passages(self, texts: list[str], parts: list[list[str]]):
        """Vectors for passages being stored, and for their parts where the model has them for free.

        ``texts[i]`` is the passage as stored; ``parts[i]`` its pieces in order (a table header,
        then its sentences). Returns ``(passage vectors (n, dim), part vectors)``, where the part
        vectors are a list of ``(len(parts[i]), dim)`` arrays, or None when the model would have
        to embed the parts again (then the answerer embeds sentences when it needs them).
        Default: the passages only.
        """
        import numpy as np

        return np.asarray(self.embed_documents(list(texts)), dtype=np.float32), None


class EmbedderError(RuntimeError):
    """An embedder could not be created or loaded; the message says why and what to do."""
