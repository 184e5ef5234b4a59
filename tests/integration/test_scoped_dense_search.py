"""Dense search inside a scope: exact over the vectors in memory (a small index) or in the catalog,
unfiltered-then-filtered through Chroma, or Chroma's filter (an index without stored vectors).

Whichever way a scope is searched, the result must be what Chroma's own filtered query
returns on a small index (where HNSW is exact): same chunks, same order, same scores.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rag.store as store_module

CITIES = ["Rotterdam", "Jakarta", "Lyon", "Osaka", "Lima", "Accra", "Perth", "Quito"]


@pytest.fixture
def index(tmp_path, hash_embedder):
    from rag import Assistant

    src = tmp_path / "docs"
    src.mkdir()
    for i, city in enumerate(CITIES):
        lines = [f"Company {city} Holdings opened office number {j} in {city} with {10 * j + i} staff members."
                 for j in range(1, 9)]
        (src / f"{city.lower()}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    a = Assistant(index_dir=tmp_path / "index", embedder=hash_embedder)
    assert a.ingest([src]).ok
    yield a
    a.close()


def _reference(a, q, n, doc_ids):
    """Chroma's filtered query, committed chunks only."""
    return [(c, s) for c, s, _ in a.store.vectors.query(q, n, doc_ids)]


def _same(got, want):
    assert [c for c, _ in got] == [c for c, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=2e-3)  # float16 in the catalog


QUERIES = ["office in Lyon with staff", "Osaka Holdings", "number 7 office", "Quito Perth Lima"]
# the three ways a scope is searched: a small index's vectors in memory; a large index's scope exactly
# over the catalog's vectors, or through Chroma unfiltered with more results, then filtered
# (EXACT_MAX_CHUNKS, the store's overfetch_factor)
PATHS = {"memory": (None, None), "catalog": (0, float("inf")), "overfetch": (0, 0.0)}


@pytest.mark.parametrize("scope", [["lyon"], ["lyon", "osaka"], ["lima", "accra", "perth", "quito", "jakarta"],
                                   [c.lower() for c in CITIES]])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_path_matches_chromas_filtered_query(index, monkeypatch, scope, path):
    a = index
    exact_max, factor = PATHS[path]
    if exact_max is not None:
        monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", exact_max)
    if factor is not None:
        monkeypatch.setattr(a.store, "overfetch_factor", factor)
    queried = []
    monkeypatch.setattr(a.store.vectors, "query", _no_filter_allowed(a.store.vectors.query, queried))
    for text in QUERIES:
        q = np.asarray(a.embedder.embed_query(text), dtype=np.float32)
        want = _reference_unguarded(a, q, 5, scope)
        got = a.store.dense_search(q, 5, scope)
        _same(got, want)
        assert {a.store.catalog.chunks_by_ids([c])[c]["doc_id"] for c, _ in got} <= set(scope)
    # Chroma is asked only when over-fetching, or for a large index's whole (a scope of every document)
    whole = len(scope) == len(CITIES)
    assert bool(queried) == (path == "overfetch" or (path == "catalog" and whole))
    # over-fetching reads ids and distances only (Chroma's per-result metadata read was most of its time)
    assert all(not metadata for _, metadata in queried) or whole


def test_whole_small_index_is_searched_exactly_without_chroma(index, monkeypatch):
    a = index
    q = np.asarray(a.embedder.embed_query("Lyon office"), dtype=np.float32)
    want = _reference(a, q, 3, None)
    monkeypatch.setattr(a.store.vectors, "query", lambda *x, **k: pytest.fail("Chroma queried"))
    _same(a.store.dense_search(q, 3), want)
    assert a.store.dense_search(q, 4, ["no-such-document"]) == []


def test_a_commit_elsewhere_is_searched_at_once(index, tmp_path, monkeypatch):
    """A document another writer committed is found by the next search, whole index or scope: through
    Chroma and the catalog while the keyword snapshot is behind (an ingest under way), then over the
    small index's vectors in memory, read again once the snapshot is published."""
    from rag.indexing import ingest_paths

    a = index
    q = np.asarray(a.embedder.embed_query("Zephyr Airships hangar in Reykjavik"), dtype=np.float32)
    a.store.dense_search(q, 3)   # loads the vectors of the 8 documents
    new = tmp_path / "new"
    new.mkdir()
    (new / "zephyr.txt").write_text("Zephyr Airships built a hangar in Reykjavik.\n", encoding="utf-8")
    ingest_paths(a.store, a.embedder, [new], a.settings.ingest.chunk_size)   # commits, publishes no snapshot
    assert a.store.keywords.current() is None

    def top_docs():
        return [a.store.catalog.chunks_by_ids([c])[c]["doc_id"] for c, _ in
                (a.store.dense_search(q, 3, scope)[0] for scope in (None, ["zephyr", "lyon"]))]

    assert top_docs() == ["zephyr", "zephyr"]
    a.store.refresh_keyword_index()
    monkeypatch.setattr(a.store.vectors, "query", lambda *x, **k: pytest.fail("Chroma queried"))
    assert top_docs() == ["zephyr", "zephyr"]
    monkeypatch.undo()
    assert a.remove("zephyr")
    assert "zephyr" not in {a.store.catalog.chunks_by_ids([c])[c]["doc_id"] for c, _ in a.store.dense_search(q, 20)}


@pytest.mark.parametrize("large", [False, True])
def test_chunks_without_catalog_vectors_use_chromas_filter(index, monkeypatch, large):
    """An index built before chunks kept their vectors: a NULL makes the scope go through Chroma."""
    a = index
    if large:
        monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    monkeypatch.setattr(a.store, "overfetch_factor", float("inf"))
    a.store.catalog._conn().execute("UPDATE chunks SET vec = NULL WHERE doc_id = 'osaka'")
    calls = []
    real = a.store.vectors.query
    monkeypatch.setattr(a.store.vectors, "query", lambda v, n, d=None, **k: calls.append(d) or real(v, n, d, **k))
    q = np.asarray(a.embedder.embed_query("Osaka office"), dtype=np.float32)
    got = a.store.dense_search(q, 4, ["osaka"])
    assert calls == [["osaka"]]
    assert got and {a.store.catalog.chunks_by_ids([c])[c]["doc_id"] for c, _ in got} == {"osaka"}
    _same(got, _reference(a, q, 4, ["osaka"]))
    _same(a.store.dense_search(q, 4, ["lyon"]), _reference(a, q, 4, ["lyon"]))   # other documents: as ever


def test_uncommitted_vectors_never_come_back(index, monkeypatch):
    """Vectors of a version that was never committed (a crashed ingest) stay invisible through Chroma."""
    a = index
    monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    monkeypatch.setattr(a.store, "overfetch_factor", 0.0)
    q = np.asarray(a.embedder.embed_query("Lyon office"), dtype=np.float32)
    a.store.vectors.add(["lyon:ghost:0"], np.asarray([q]), [{"doc_id": "lyon", "version": "ghost", "page": 0}])
    for scope in (["lyon"], None):
        got = a.store.dense_search(q, 3, scope)
        assert got and "lyon:ghost:0" not in [c for c, _ in got]


def _no_filter_allowed(query, calls):
    def guarded(vector, n, doc_ids=None, metadata=True):
        assert doc_ids is None, "Chroma's filtered query was used"
        calls.append((n, metadata))
        return query(vector, n, None, metadata=metadata)
    guarded.real = query
    return guarded


def _reference_unguarded(a, q, n, doc_ids):
    query = getattr(a.store.vectors.query, "real", a.store.vectors.query)
    return [(c, s) for c, s, _ in query(q, n, doc_ids)]


def _counting_reads(a, monkeypatch):
    reads = []
    real = a.store.catalog.chunk_vectors
    monkeypatch.setattr(a.store.catalog, "chunk_vectors", lambda d: reads.append(list(d)) or real(d))
    return reads


def test_a_large_indexs_scoped_documents_are_read_from_the_catalog_once_then_kept(index, monkeypatch):
    """Above EXACT_MAX_CHUNKS a scope's documents are read from the catalog on their first search and
    kept: a later scope reads only the documents it has not seen, and both give Chroma's filtered answer."""
    a = index
    monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    monkeypatch.setattr(a.store, "overfetch_factor", float("inf"))
    q = np.asarray(a.embedder.embed_query("Perth office staff"), dtype=np.float32)
    want = _reference(a, q, 4, ["perth", "quito"])
    reads = _counting_reads(a, monkeypatch)
    monkeypatch.setattr(a.store.vectors, "query", lambda *x, **k: pytest.fail("Chroma queried"))
    _same(a.store.dense_search(q, 4, ["perth", "quito"]), want)
    _same(a.store.dense_search(q, 4, ["quito", "perth"]), want)
    assert reads == [["perth", "quito"]]
    a.store.dense_search(q, 4, ["perth", "lima"])
    assert reads == [["perth", "quito"], ["lima"]]      # only the document not seen yet


def test_the_kept_vectors_stay_within_their_budget_least_recently_used_dropped_first(index, monkeypatch):
    a = index
    monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    monkeypatch.setattr(a.store, "overfetch_factor", float("inf"))
    per_doc = a.store.catalog.chunk_vectors(["lyon"])["lyon"][1].astype(np.float32).nbytes   # (kept as float32)
    monkeypatch.setattr(a.store._scopes, "budget", 2 * per_doc)   # room for two documents
    reads = _counting_reads(a, monkeypatch)
    q = np.asarray(a.embedder.embed_query("office staff"), dtype=np.float32)
    for scope in (["lyon"], ["osaka"], ["lyon"], ["lima"], ["lyon"], ["osaka"]):
        want = _reference(a, q, 3, scope)
        _same(a.store.dense_search(q, 3, scope), want)
    # osaka was the least recently used when lima came, so it is read again; lyon never is
    assert reads == [["lyon"], ["osaka"], ["lima"], ["osaka"]]
    assert a.store._scopes._bytes <= 2 * per_doc


def test_a_commit_or_removal_drops_the_kept_vectors(index, monkeypatch, tmp_path):
    """What is kept belongs to one catalog state: after a document is re-ingested with other text, a
    scoped search finds its new chunks, not the kept old ones; after its removal, none of them."""
    a = index
    monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    monkeypatch.setattr(a.store, "overfetch_factor", float("inf"))
    q = np.asarray(a.embedder.embed_query("Lyon office"), dtype=np.float32)
    src = a.store.catalog.document("lyon")["source"]
    before = a.store.dense_search(q, 20, ["lyon"])
    assert before
    Path(src).write_text("Company Lyon Holdings closed its office in Lyon.\n", encoding="utf-8")
    assert a.ingest([src]).ok
    after = a.store.dense_search(q, 20, ["lyon"])
    assert after
    _same(after, _reference(a, q, 20, ["lyon"]))
    assert not {c for c, _ in after} & {c for c, _ in before}
    assert a.remove("lyon")
    assert a.store.dense_search(q, 20, ["lyon", "osaka"]) and not a.store.dense_search(q, 20, ["lyon"])
    _same(a.store.dense_search(q, 3, ["lyon", "osaka"]), _reference(a, q, 3, ["lyon", "osaka"]))
