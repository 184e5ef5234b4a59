"""Dense vectors in Chroma: embedded PersistentClient by default, HttpClient for a server.

Chroma only ever receives vectors we computed: collections are created with
``embedding_function=None`` so Chroma can never fall back to its own default
model (which would try to download weights). The collection records the
embedder id; opening it with a different embedder is refused.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse


class VectorStoreError(RuntimeError):
    pass


class EmbedderMismatch(VectorStoreError):
    pass


def _client(index_dir: Path, chroma_url: str | None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        u = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        try:
            return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                       ssl=u.scheme == "https", settings=settings)
        except Exception as e:  # connection refused etc. surfaces here
            raise VectorStoreError(f"cannot reach Chroma server at {chroma_url}: {e}") from None
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)


class VectorStore:
    def __init__(self, index_dir: Path, collection: str, embedder_id: str, chroma_url: str | None = None):
        self.url = chroma_url
        self._client = _client(index_dir, chroma_url)
        try:
            self._col = self._client.get_or_create_collection(
                collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": 64}},
                metadata={"embedder": embedder_id})
        except Exception as e:
            raise VectorStoreError(f"cannot open Chroma collection {collection!r}"
                                   f"{' at ' + chroma_url if chroma_url else ''}: {e}") from None
        recorded = (self._col.metadata or {}).get("embedder")
        if recorded and recorded != embedder_id:
            raise EmbedderMismatch(
                f"this index was built with embedder {recorded!r} but is being opened with {embedder_id!r}; "
                f"pass --embedder {recorded} (or RAG_EMBEDDER), or rebuild: remove the index directory "
                f"(or use another --index) and ingest again with the new embedder")
        try:
            self._batch = max(1, min(5000, self._client.get_max_batch_size()))
        except Exception:
            self._batch = 1000

    def count(self) -> int:
        return self._col.count()

    def add(self, ids: list[str], embeddings, metadatas: list[dict]) -> None:
        for i in range(0, len(ids), self._batch):
            self._col.upsert(ids=ids[i : i + self._batch], embeddings=embeddings[i : i + self._batch],
                             metadatas=metadatas[i : i + self._batch])

    def delete_version(self, doc_id: str, version: str) -> None:
        self._col.delete(where={"$and": [{"doc_id": doc_id}, {"version": version}]})

    def query(self, vector, n: int, doc_ids: list[str] | None = None) -> list[tuple[str, float, dict]]:
        """(chunk_id, similarity, metadata) best first; similarity = 1 - cosine distance."""
        where = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            where = {"doc_id": {"$in": list(doc_ids)}} if len(doc_ids) > 1 else {"doc_id": doc_ids[0]}
        n = max(1, n)
        res = self._col.query(query_embeddings=[vector], n_results=n, where=where,
                              include=["distances", "metadatas"])
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [0.0] * len(ids)
        metas = res["metadatas"][0] if res.get("metadatas") else [{}] * len(ids)
        return [(i, 1.0 - float(d), m or {}) for i, d, m in zip(ids, dists, metas)]
