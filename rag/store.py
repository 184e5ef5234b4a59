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

Where a question's vectors are read (figures: evals/BENCHMARKS.md, "Storage", 100k chunks, p50/p95 ms):

* Chroma's HNSW index for the whole of a large index (4.0/9.1), and for a scope that is a large
  part of it, over-fetched then filtered (10% of the documents: 16.6/31.5). Its `where` filter is
  slow at any scope (one document 95/130, five 56/85), so it is not used for scopes.
* The catalog's float16 copy of each chunk's vector, the only other copy, for everything else:
  a small scope exactly (one document 0.1/0.2, five 5.1/11.1; a document's vectors, once read, are
  kept in memory up to store.scope_cache_mb, see _ScopeVectors), the vectors of candidate chunks by
  id and of whole pages (see catalog.py), and the whole of a small index (below).
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .catalog import Catalog
from .keyword_index import KeywordIndex
from .settings import StoreSettings
from .vectors import VectorStore

# A scope is searched through Chroma, unfiltered with n * total / in_scope * 1.5 + n results then
# filtered, when that costs less than reading its chunks' vectors from the catalog: the catalog
# reads ~8 us a chunk in scope (10k chunks: 80 ms), Chroma returned ~28 us a result with its metadata
# (480: 16.6 ms; ~18k: 512 ms), so over-fetching pays once in_scope^2 >= ~5 * n * total (at 100k
# chunks and n=30: scopes of ~3,900 chunks and more; measured at 100k, evals/BENCHMARKS.md "Storage").
# Since, the over-fetch asks for ids and distances only and the catalog names each hit's document:
# ~7 + ~5 us a result (1,472 results: 10 + 7 ms), so the factor is now on the safe side. When too few
# over-fetched results are in scope, asking once for four times as many is weighed against the exact
# search at costs measured in the 100k query benchmark: ~6 us a chunk to read a scope's vectors (31k
# chunks: 194 ms), ~1 us a chunk to search them once kept (13k chunks: 11 ms).
OVERFETCH_US_PER_RESULT, CATALOG_US_PER_CHUNK, EXACT_US_PER_CHUNK = 12.0, 6.0, 1.0
OVERFETCH_FACTOR = StoreSettings.model_fields["overfetch_factor"].default   # the store.overfetch_factor setting
# An embedded index of at most this many chunks is searched exactly, whole or scoped, over its
# chunks' vectors read once from the catalog into memory (float32, 2 KB a chunk: 40 MB at this
# size): a question then needs neither chromadb's import nor its client (~1 s of a `rag ask`
# process), and the results are exact (Chroma's HNSW recall@30 against exact search: 0.88 at 10k
# chunks). Reading them costs 48/74 ms at 10k chunks, once per process and catalog state; a
# search over them then ~2 ms at 10k (Chroma: 2.0/2.5 ms). They are read when the keyword snapshot
# is current, i.e. once an ingest or removal is over: while one is under way (here or in another
# process) or was killed before publishing its snapshot, Chroma answers, as FTS5 answers for the
# snapshot, rather than the whole read being repeated after every document committed.
EXACT_MAX_CHUNKS = 20_000
SCOPE_CACHE_MB = StoreSettings.model_fields["scope_cache_mb"].default   # the store.scope_cache_mb setting


class IndexStore:
    def __init__(self, index_dir: Path, embedder_id: str, collection: str = "rag_chunks",
                 chroma_url: str | None = None, embedder_spec: str | None = None,
                 chroma_timeout: float | None = None, overfetch_factor: float = OVERFETCH_FACTOR,
                 scope_cache_mb: float = SCOPE_CACHE_MB):
        self.index_dir = Path(index_dir)
        self.overfetch_factor = overfetch_factor
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
        self._memory = _InMemoryVectors()
        self._scopes = _ScopeVectors(scope_cache_mb * 2**20)
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
    def add_document(self, record: dict, pages, chunks, embedder, tokens: list[str] | None = None) -> None:
        """``tokens``: the chunks' keyword tokens when the read-ahead made them (rag/indexing.chunk_tokens of
        each chunk's indexed text); else they are made here."""
        from .indexing import chunk_tokens

        doc_id, version = record["doc_id"], record["version"]
        ids = [c.chunk_id(doc_id, version) for c in chunks]
        texts = [c.indexed_text for c in chunks]
        if tokens is None or len(tokens) != len(chunks):
            tokens = [chunk_tokens(t) for t in texts]
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
                 "text": c.text, "context": getattr(c, "context", ""), "tokens": tok, "vector": v,
                 "sentence_vectors": sv}
                for cid, c, tok, v, sv in zip(ids, chunks, tokens, vectors, sentence_vectors)]
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

        A small embedded index: exactly, over its vectors in memory, while its keyword snapshot is
        current. Otherwise the whole index through Chroma; a scope exactly over its documents' vectors
        (from the catalog, kept per document up to store.scope_cache_mb), or, when it is a large part
        of the index, through Chroma unfiltered with more results, then filtered (see OVERFETCH_FACTOR,
        the store.overfetch_factor setting, and the module docstring for the figures).
        """
        counts = self.catalog.chunk_counts()
        total = sum(counts.values())
        in_scope = total
        if doc_ids is not None:
            doc_ids = sorted(set(doc_ids))
            in_scope = sum(counts.get(d, 0) for d in doc_ids)
            if not in_scope or n <= 0:
                return []
            if in_scope >= total:
                doc_ids = None   # a scope holding every chunk is the whole index
        if not self.vectors.url and total <= EXACT_MAX_CHUNKS and self.keywords.current() is not None:
            hits = self._memory.search(self.catalog, vector, n, doc_ids)
            if hits is not None:
                return hits   # (None: an index made before the catalog kept vectors, searched as a large one)
        if doc_ids is None:
            return self._committed(self._query_vectors(vector, n), n)
        if in_scope * in_scope >= self.overfetch_factor * n * total:
            want = min(total, int(n * total / in_scope * 1.5) + n)
            allowed = set(doc_ids)
            hits = self._overfetched(vector, want, allowed)
            if len(hits) < min(n, in_scope) and want < total:
                # too few of the nearest are in scope (the question's neighbours lie elsewhere, in another
                # language say): once, four times as many, when that costs less than the exact search
                more = min(total, want * 4)
                unread = sum(counts.get(d, 0) for d in self._scopes.unread(doc_ids))
                if more * OVERFETCH_US_PER_RESULT <= unread * CATALOG_US_PER_CHUNK + in_scope * EXACT_US_PER_CHUNK:
                    want, hits = more, self._overfetched(vector, more, allowed)
            if len(hits) >= min(n, in_scope) or want >= total:
                return hits[:n]
        hits = self._scopes.search(self.catalog, vector, n, doc_ids)
        if hits is None:   # chunks indexed before the catalog kept vectors: Chroma's filter
            return self._committed(self._query_vectors(vector, n, doc_ids), n)
        return hits

    def _overfetched(self, vector, want: int, allowed: set[str]) -> list[tuple[str, float]]:
        """The ``want`` nearest of the whole index that are committed chunks of ``allowed`` documents: Chroma
        gives ids and distances only, the catalog which document each is in (and that it is committed)."""
        hits = self._query_vectors(vector, want, metadata=False)
        doc_of = self.catalog.documents_of([h[0] for h in hits])
        return [(cid, sim) for cid, sim, _ in hits if doc_of.get(cid) in allowed]

    def _query_vectors(self, vector, n, doc_ids=None, metadata: bool = True):
        self._sync_vectors()
        return self.vectors.query(vector, n, doc_ids, metadata=metadata)

    def _committed(self, hits, n: int | None = None) -> list[tuple[str, float]]:
        # vectors of uncommitted (in-flight or crashed) versions are skipped here
        committed = self.catalog.chunks_by_ids([h[0] for h in hits])
        return [(cid, sim) for cid, sim, _ in hits if cid in committed][:n]

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


class _InMemoryVectors:
    """A small index's vectors (float32), read from the catalog once per catalog state (its keyword
    generation, bumped by every commit and removal) and searched exactly, whole or scoped."""

    def __init__(self):
        self._lock = threading.Lock()   # held while reading the vectors
        self._state = None   # (generation, chunk ids, matrix, {doc_id: row indices}) or (generation, None...)

    def search(self, catalog, vector, n: int, doc_ids: list[str] | None) -> list[tuple[str, float]] | None:
        """Exactly; None when some chunk has no stored vector."""
        ids, matrix, rows_of = self._load(catalog)[1:]
        if ids is None:
            return None
        if doc_ids is not None:
            rows = np.concatenate([rows_of[d] for d in doc_ids if d in rows_of] or [np.zeros(0, np.int64)])
            return [(ids[rows[i]], sim) for i, sim in nearest(matrix[rows], vector, n)]
        return [(ids[i], sim) for i, sim in nearest(matrix, vector, n)]

    def _load(self, catalog):
        generation = catalog.keyword_generation()
        state = self._state
        if state is not None and state[0] == generation:
            return state
        with self._lock:
            state = self._state
            if state is None or state[0] != generation:
                # read inside one transaction with the generation, so the two agree
                generation, exact = catalog.all_chunk_vectors()
                if exact is None:
                    state = (generation, None, None, None)
                else:
                    ids, docs, matrix = exact
                    rows_of: dict[str, list[int]] = {}
                    for i, d in enumerate(docs):
                        rows_of.setdefault(d, []).append(i)
                    state = (generation, ids, matrix, {d: np.asarray(r, dtype=np.int64) for d, r in rows_of.items()})
                self._state = state
        return state


class _ScopeVectors:
    """A large index's scopes, searched exactly over their documents' vectors (read from the catalog's
    float16 and kept as float32: converting a 13k-chunk scope on every question cost 9 ms of its 11),
    each document's kept after its first read and dropped, least recently used first, past a budget
    (the store.scope_cache_mb setting).

    Why per document and bounded: an analyst asks about a few companies in turn, so the same documents
    come back; the first question of a scope reads them from the catalog (at 100k chunks 0.1 ms for
    one document's ~50 chunks, ~5 ms for five; evals/BENCHMARKS.md "Storage"), later ones find them in
    memory. Keeping the whole index's vectors instead (100 MB at 100k chunks) had raised a querying
    process's memory above the code before the storage change (835 against 773 MB at 100k)."""

    def __init__(self, budget_bytes: float):
        self.budget = budget_bytes
        self._lock = threading.Lock()
        self._generation = None
        self._docs: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._bytes = 0

    def unread(self, doc_ids: list[str]) -> list[str]:
        """Those of these documents whose vectors are not kept (a search would read them first)."""
        with self._lock:
            return [d for d in doc_ids if d not in self._docs]

    def search(self, catalog, vector, n: int, doc_ids: list[str]) -> list[tuple[str, float]] | None:
        """Exactly; None when some chunk of the scope has no stored vector."""
        generation = catalog.keyword_generation()
        with self._lock:
            if generation != self._generation:   # a commit or removal since: start afresh
                self._docs.clear()
                self._bytes = 0
                self._generation = generation
            have = {}
            for d in doc_ids:
                if d in self._docs:
                    self._docs.move_to_end(d)
                    have[d] = self._docs[d]
        missing = [d for d in doc_ids if d not in have]
        if missing:
            read = catalog.chunk_vectors(missing)
            if read is None:
                return None
            read = {d: (ids, m.astype(np.float32)) for d, (ids, m) in read.items()}
            read.update({d: ([], np.zeros((0, 0), np.float32)) for d in missing if d not in read})
            have.update(read)
            with self._lock:
                if generation == self._generation:
                    for d, entry in read.items():
                        if d not in self._docs:
                            self._docs[d] = entry
                            self._bytes += entry[1].nbytes
                    while self._bytes > self.budget and self._docs:
                        self._bytes -= self._docs.popitem(last=False)[1][1].nbytes
        parts = [have[d] for d in doc_ids if len(have[d][0])]
        if not parts:
            return []
        ids = [cid for part_ids, _ in parts for cid in part_ids]
        return [(ids[i], sim) for i, sim in nearest([m for _, m in parts], vector, n)]


def nearest(matrix: np.ndarray | list[np.ndarray], vector, n: int) -> list[tuple[int, float]]:
    """(row, cosine) of the n rows of a matrix of unit vectors nearest ``vector``, best first; of a list
    of matrices, rows are counted through them in order (no copy of them into one).

    einsum, not ``@``: OpenBLAS runs a matrix-vector product of this size on a thread pool, whose
    wake-ups on a busy 2-core machine cost more than the product (20k x 512: p50 8.0 ms with ``@``,
    1.5 ms with einsum, at load 3)."""
    parts = matrix if isinstance(matrix, list) else [matrix]
    if not sum(len(m) for m in parts) or n <= 0:
        return []
    q = np.asarray(vector, dtype=np.float32)
    q = q / (np.linalg.norm(q) or 1.0)
    sims = [np.einsum("ij,j->i", np.asarray(m, dtype=np.float32), q) for m in parts if len(m)]
    sims = sims[0] if len(sims) == 1 else np.concatenate(sims)
    k = min(n, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(i), float(sims[i])) for i in top]


def sentence_texts(text: str) -> list[str]:
    """A chunk's sentences as the answerer splits them (the order its stored sentence vectors follow)."""
    from ingest.sentences import split_sentences

    return [text[a:b] for a, b in split_sentences(text)]
