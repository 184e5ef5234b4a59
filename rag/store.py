"""The index: catalog (SQLite, source of truth + keyword index) and vectors (Chroma).

Write order for a document version (see catalog.py for why):
  1. catalog.mark_pending(doc, version)   -> vectors of this version are garbage until step 3
  2. vectors.add(...)                     -> invisible: queries only return committed chunks
  3. catalog.commit_document(...)         -> one transaction: chunks, pages, keyword index, doc row
  4. vectors.delete_version(old)          -> garbage collection (redone on next ingest if killed)

Embedded Chroma does not see other processes' writes through a client opened
before them (see vectors.py). After writing vectors a store records a new
"vectors generation" in the catalog; a store that finds the generation changed
by someone else reopens its Chroma client before its next read or write.
"""
from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

import numpy as np

from .catalog import Catalog
from .keyword_index import KeywordIndex, nearest
from .settings import StoreSettings
from .vectors import VectorStore

# a scope holding at least this share of the index's chunks is searched unfiltered, then filtered
# (the store.postfilter_share setting's default)
POSTFILTER_SHARE = StoreSettings.model_fields["postfilter_share"].default
# An embedded index of at most this many chunks is searched exactly over the float16 vectors the
# keyword snapshot keeps (memory-mapped; ~5 ms at this size), as small scopes already are, instead of
# through Chroma: a question then needs neither chromadb's import nor its client (~1 s of a `rag ask`
# process here). Above it, Chroma's HNSW index is what keeps a search fast.
EXACT_MAX_CHUNKS = 20_000


class IndexStore:
    def __init__(self, index_dir: Path, embedder_id: str, collection: str = "rag_chunks",
                 chroma_url: str | None = None, embedder_spec: str | None = None,
                 chroma_timeout: float | None = None, postfilter_share: float = POSTFILTER_SHARE):
        self.index_dir = Path(index_dir)
        self.postfilter_share = postfilter_share
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(self.index_dir / "catalog.sqlite")
        self.keywords = KeywordIndex(self.catalog, self.index_dir / "keyword")
        recorded = self.catalog.get_meta("embedder")
        if recorded and recorded != embedder_id and self.catalog.documents():
            from .vectors import EmbedderMismatch

            # suggest the spec the index was built with: for local models the id is not a usable spec
            spec = self.catalog.get_meta("embedder_spec") or recorded
            raise EmbedderMismatch(
                f"index {self.index_dir} was built with embedder {recorded!r} but is being opened with "
                f"{embedder_id!r}; pass --embedder {spec} (or set RAG_EMBEDDER), or rebuild: delete "
                f"{self.index_dir} (or use another --index) and ingest again")
        if chroma_url:
            collection = self._server_collection(collection)
        self._sync_lock = threading.Lock()
        self._seen_generation = self.catalog.get_meta("vectors_generation")
        self.vectors = VectorStore(self.index_dir, collection, embedder_id, chroma_url, timeout=chroma_timeout)
        self.catalog.set_meta("embedder", embedder_id)
        if embedder_spec:
            self.catalog.set_meta("embedder_spec", embedder_spec)

    def _server_collection(self, base: str) -> str:
        """On a Chroma server, each index (catalog) gets its own collection.

        Several indexes may share one server; were they to share a collection,
        removing a document from one index would delete vectors (same ids: same
        file, same version) that another index still relies on. The name is
        recorded in the catalog at first use; an index that already holds
        documents without a record keeps the plain name it was built with.
        """
        recorded = self.catalog.get_meta("server_collection")
        if recorded:
            return recorded
        if self.catalog.documents():
            name = base
        else:
            import uuid

            name = f"{base}-{uuid.uuid4().hex[:12]}"
        return self.catalog.setdefault_meta("server_collection", name)  # a racing opener may win

    def close(self) -> None:
        self.vectors.close()
        self.catalog.close()

    # -- other processes' writes (embedded Chroma) ----------------------------------
    def _vectors_written(self) -> None:
        if self.vectors.url:
            return  # one server serves everyone a current view
        gen = uuid.uuid4().hex
        with self._sync_lock:
            self.catalog.set_meta("vectors_generation", gen)
            self._seen_generation = gen

    def _sync_vectors(self) -> None:
        if self.vectors.url:
            return
        with self._sync_lock:
            gen = self.catalog.get_meta("vectors_generation")
            if gen != self._seen_generation:
                self.vectors.reopen()  # another process wrote vectors since we opened
                self._seen_generation = gen

    # -- writes ------------------------------------------------------------------
    def add_document(self, record: dict, pages, chunks, embedder) -> None:
        from .indexing import chunk_tokens

        doc_id, version = record["doc_id"], record["version"]
        ids = [c.chunk_id(doc_id, version) for c in chunks]
        # a chunk cut from a table is embedded and keyword-indexed with the table's header
        # (periods, units); its stored text stays the verbatim page span that citations quote
        texts = [_with_context(c) for c in chunks]
        sentences = [sentence_texts(c.text) for c in chunks]
        parts = [([c.context] if getattr(c, "context", "") else []) + s for c, s in zip(chunks, sentences)]
        vectors, part_vectors = embedder.embed_passages(texts, parts)
        vectors = np.asarray(vectors, dtype=np.float32)
        # the sentences' own vectors, kept for the answerer (the table header, if any, comes first)
        sentence_vectors = ([pv[len(p) - len(s):] for pv, p, s in zip(part_vectors, parts, sentences)]
                            if part_vectors is not None else [None] * len(chunks))
        self._sync_vectors()
        self.catalog.mark_pending(doc_id, version)
        self.vectors.add(ids, vectors, [{"doc_id": doc_id, "version": version, "page": c.page or 0}
                                        for c in chunks])
        self._vectors_written()
        rows = [{"chunk_id": cid, "page": c.page, "start": c.start, "end": c.end, "ord": c.index,
                 "text": c.text, "context": getattr(c, "context", ""), "tokens": chunk_tokens(t), "vector": v,
                 "sentence_vectors": sv}
                for cid, c, t, v, sv in zip(ids, chunks, texts, vectors, sentence_vectors)]
        self.catalog.commit_document(record, [(p.number, p.text) for p in pages], rows)
        self.collect_garbage()

    def remove(self, doc_id: str) -> bool:
        removed = self.catalog.remove_document(doc_id)
        self.collect_garbage()
        return removed

    def collect_garbage(self) -> None:
        garbage = self.catalog.garbage()
        if not garbage:
            return
        self._sync_vectors()
        for doc_id, version in garbage:
            self.vectors.delete_version(doc_id, version)
            self.catalog.forget_garbage(doc_id, version)
        self._vectors_written()

    # -- reads ---------------------------------------------------------------------
    def dense_search(self, vector, n: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) best first, committed chunks only, within ``doc_ids`` if given.

        Chroma's HNSW search is fast over the whole index but slow under a filter (at 100k chunks a
        one-document `where` took ~90 ms: the graph walk visits most nodes to find allowed ones). So
        a scope that is a large share of the index is searched unfiltered with more results, then
        filtered; a smaller one is searched exactly over its chunks' vectors: from the snapshot's
        memory-mapped matrix when it is current, else from the catalog.
        """
        if doc_ids is not None:
            scoped = self._scoped_dense_search(vector, n, list(doc_ids))
            if scoped is not None:
                return scoped
        elif self._small():
            snap = self.keywords.current()
            hits = snap.dense_search(vector, n, list(snap.doc_index)) if snap is not None else None
            if hits is not None:
                return self._by_chunk_id(hits)
        return self._committed(self._query_vectors(vector, n, doc_ids))

    def _small(self) -> bool:
        """Small enough to search exactly without Chroma (embedded mode only: a server is used as such)."""
        return not self.vectors.url and sum(self.catalog.chunk_counts().values()) <= EXACT_MAX_CHUNKS

    def _query_vectors(self, vector, n, doc_ids=None):
        self._sync_vectors()
        return self.vectors.query(vector, n, doc_ids)

    def _committed(self, hits, n: int | None = None) -> list[tuple[str, float]]:
        # vectors of uncommitted (in-flight or crashed) versions are skipped here
        committed = self.catalog.chunks_by_ids([h[0] for h in hits])
        return [(cid, sim) for cid, sim, _ in hits if cid in committed][:n]

    def _scoped_dense_search(self, vector, n: int, doc_ids: list[str]) -> list[tuple[str, float]] | None:
        counts = self.catalog.chunk_counts()
        in_scope = sum(counts.get(d, 0) for d in set(doc_ids))
        total = sum(counts.values())
        if not in_scope or not total:
            return []
        if in_scope >= self.postfilter_share * total and not self._small():
            want = min(total, int(n * total / in_scope * 1.5) + n)
            allowed = set(doc_ids)
            hits = [h for h in self._query_vectors(vector, want) if h[2].get("doc_id") in allowed]
            if len(hits) >= min(n, in_scope) or want >= total:
                return self._committed(hits, n)
        snap = self.keywords.current()
        if snap is not None:
            hits = snap.dense_search(vector, n, doc_ids)
            if hits is not None:
                return self._by_chunk_id(hits)
        exact = self.catalog.chunk_vectors(sorted(set(doc_ids)))   # the snapshot is behind: from SQLite
        if exact is None:
            return None   # chunks indexed before vectors were kept in the catalog: Chroma's filter
        ids, matrix = exact
        return [(ids[i], sim) for i, sim in nearest(matrix, vector, n)]

    def keyword_search(self, query_tokens: list[str], n: int, doc_ids: list[str] | None = None):
        """(chunk_id, BM25 score) best first: from the keyword snapshot when it is current, else FTS5."""
        snap = self.keywords.current()
        if snap is None:
            return self.catalog.keyword_search(query_tokens, n, doc_ids)
        return self._by_chunk_id(snap.search(query_tokens, n, doc_ids))

    def _by_chunk_id(self, hits: list[tuple[int, float]]) -> list[tuple[str, float]]:
        """A snapshot's (catalog rowid, score) hits as (chunk_id, score), in order."""
        ids = self.catalog.chunk_ids_by_rowid([r for r, _ in hits])
        return [(ids[r], score) for r, score in hits if r in ids]

    def refresh_keyword_index(self) -> None:
        """Snapshot the keyword index after a change (an ingest, a removal); FTS5 serves until it exists."""
        try:
            self.keywords.rebuild()
        except Exception as e:   # only slower keyword search until the next rebuild; the data is safe
            logging.getLogger(__name__).warning("keyword snapshot of %s not rebuilt: %s", self.index_dir, e)


def sentence_texts(text: str) -> list[str]:
    """A chunk's sentences as the answerer splits them (the order its stored sentence vectors follow)."""
    from ingest.sentences import split_sentences

    return [text[a:b] for a, b in split_sentences(text)]


def _with_context(chunk) -> str:
    ctx = getattr(chunk, "context", "")
    return f"{ctx}\n{chunk.text}" if ctx else chunk.text
