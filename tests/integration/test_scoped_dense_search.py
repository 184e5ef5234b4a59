"""Dense search inside a scope: unfiltered-then-filtered, exact over catalog vectors, or Chroma's filter.

Whichever way a scope is searched, the result must be what Chroma's own filtered query
returns on a small index (where HNSW is exact): same chunks, same order, same scores.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

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


@pytest.mark.parametrize("scope", [["lyon"], ["lyon", "osaka"], ["lima", "accra", "perth", "quito", "jakarta"],
                                   [c.lower() for c in CITIES]])
@pytest.mark.parametrize("share", [0.0, 1.01])   # 0: always unfiltered-then-filtered; >1: always exact
def test_every_path_matches_chromas_filtered_query(index, monkeypatch, scope, share):
    a = index
    monkeypatch.setattr(a.store, "postfilter_share", share)
    monkeypatch.setattr(a.store.vectors, "query", _no_filter_allowed(a.store.vectors.query))
    for text in QUERIES:
        q = np.asarray(a.embedder.embed_query(text), dtype=np.float32)
        want = _reference_unguarded(a, q, 5, scope)
        got = a.store.dense_search(q, 5, scope)
        _same(got, want)
        assert {a.store.catalog.chunks_by_ids([c])[c]["doc_id"] for c, _ in got} <= set(scope)


def test_small_scope_is_searched_exactly_without_chroma(index, monkeypatch):
    a = index
    monkeypatch.setattr(a.store, "postfilter_share", 0.5)   # one document of 8 is "small" here
    q = np.asarray(a.embedder.embed_query("Lyon office"), dtype=np.float32)
    want = _reference(a, q, 4, ["lyon"])
    monkeypatch.setattr(a.store.vectors, "query", lambda *x, **k: pytest.fail("Chroma queried"))
    _same(a.store.dense_search(q, 4, ["lyon"]), want)
    assert a.store.dense_search(q, 4, ["no-such-document"]) == []


def test_small_scope_reads_the_snapshot_matrix_and_the_catalog_when_the_snapshot_is_behind(index, monkeypatch):
    a = index
    monkeypatch.setattr(a.store, "postfilter_share", 0.5)
    q = np.asarray(a.embedder.embed_query("Perth office staff"), dtype=np.float32)
    want = _reference(a, q, 4, ["perth", "quito"])
    real_catalog_read = a.store.catalog.chunk_vectors
    monkeypatch.setattr(a.store.catalog, "chunk_vectors", lambda d: pytest.fail("catalog blobs read"))
    _same(a.store.dense_search(q, 4, ["perth", "quito"]), want)
    # another process committed since the snapshot (a newer keyword generation): the catalog answers
    a.store.catalog._conn().execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
                                    " WHERE key = 'keyword_generation'")
    assert a.store.keywords.current() is None
    reads = []
    monkeypatch.setattr(a.store.catalog, "chunk_vectors", lambda d: reads.append(d) or real_catalog_read(d))
    _same(a.store.dense_search(q, 4, ["perth", "quito"]), want)
    assert reads == [["perth", "quito"]]


def test_chunks_without_catalog_vectors_use_chromas_filter(index, monkeypatch):
    """An index built before chunks kept their vectors: a NULL makes the scope go through Chroma."""
    a = index
    monkeypatch.setattr(a.store, "postfilter_share", 0.5)
    a.store.catalog._conn().execute("UPDATE chunks SET vec = NULL WHERE doc_id = 'osaka'")
    shutil.rmtree(a.store.keywords.directory)   # and its snapshot, built from those rows, has no vectors
    a.store.refresh_keyword_index()
    assert a.store.keywords.current().vectors is None
    calls = []
    real = a.store.vectors.query
    monkeypatch.setattr(a.store.vectors, "query", lambda v, n, d=None: calls.append(d) or real(v, n, d))
    q = np.asarray(a.embedder.embed_query("Osaka office"), dtype=np.float32)
    got = a.store.dense_search(q, 4, ["osaka"])
    assert calls == [["osaka"]]
    assert got and {a.store.catalog.chunks_by_ids([c])[c]["doc_id"] for c, _ in got} == {"osaka"}
    _same(got, _reference(a, q, 4, ["osaka"]))


def test_uncommitted_vectors_never_come_back(index, monkeypatch):
    """Vectors of a version that was never committed (a crashed ingest) stay invisible on the post-filter path."""
    a = index
    monkeypatch.setattr(a.store, "postfilter_share", 0.0)
    q = np.asarray(a.embedder.embed_query("Lyon office"), dtype=np.float32)
    a.store.vectors.add(["lyon:ghost:0"], np.asarray([q]), [{"doc_id": "lyon", "version": "ghost", "page": 0}])
    got = a.store.dense_search(q, 3, ["lyon"])
    assert got and "lyon:ghost:0" not in [c for c, _ in got]


def _no_filter_allowed(query):
    def guarded(vector, n, doc_ids=None):
        assert doc_ids is None, "Chroma's filtered query was used"
        return query(vector, n, None)
    guarded.real = query
    return guarded


def _reference_unguarded(a, q, n, doc_ids):
    query = getattr(a.store.vectors.query, "real", a.store.vectors.query)
    return [(c, s) for c, s, _ in query(q, n, doc_ids)]
