"""The BM25 keyword snapshot (bm25s) beside the FTS5 index of record: same answers, never stale."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from itest_support import REPO
from rag.text import keyword_tokens

DOCS = {
    "orion.txt": "Orion Logistics opened a warehouse in Rotterdam in 2022. The Rotterdam warehouse has 300 staff.\n"
                 "Orion Logistics reported revenue of 75 million euros for the year.\n",
    "acme.txt": "Acme Widgets opened a new data center in Jakarta in 2024. Acme Widgets hired 120 engineers.\n"
                "Acme Widgets revenue was 12 million dollars.\n",
    "zh.txt": "星辰科技在深圳新建研发中心。星辰科技的营业收入达到八十亿元。\n",
}


@pytest.fixture
def index(tmp_path, hash_embedder):
    from rag import Assistant

    src = tmp_path / "docs"
    src.mkdir()
    for name, text in DOCS.items():
        (src / name).write_text(text * 3, encoding="utf-8")
    a = Assistant(index_dir=tmp_path / "index", embedder=hash_embedder)
    assert a.ingest([src]).ok
    yield a, src
    a.close()


def _fts(a, words, n=10, doc_ids=None):
    return a.store.catalog.keyword_search(keyword_tokens(" ".join(words)), n, doc_ids)


def test_ingest_publishes_a_snapshot_of_the_current_generation(index):
    a, _ = index
    gen = a.store.catalog.keyword_generation()
    assert gen == 3  # one per committed document
    snap = a.store.keywords.current()
    assert snap is not None and snap.generation == gen
    assert (a.index_dir / "keyword" / f"bm25-g{gen}" / "docs.json").exists()
    assert [p.name for p in (a.index_dir / "keyword").iterdir()] == [f"bm25-g{gen}"]


@pytest.mark.parametrize("words, doc_id", [(["rotterdam"], "orion"), (["jakarta", "engineers"], "acme"),
                                           (["深圳", "研发"], "zh"), (["revenue", "acme"], "acme")])
def test_snapshot_finds_what_fts5_finds(index, monkeypatch, words, doc_id):
    a, _ = index
    fts = _fts(a, words)
    monkeypatch.setattr(a.store.catalog, "keyword_search", lambda *x, **k: pytest.fail("FTS5 used"))
    got = a.store.keyword_search(keyword_tokens(" ".join(words)), 10)   # as indexed: English stemmed
    assert got and a.store.catalog.chunks_by_ids([got[0][0]])[got[0][0]]["doc_id"] == doc_id
    assert {c for c, _ in got} == {c for c, _ in fts}
    assert all(s > 0 for _, s in got)


def test_scoped_search_stays_inside_the_documents(index, monkeypatch):
    a, _ = index
    monkeypatch.setattr(a.store.catalog, "keyword_search", lambda *x, **k: pytest.fail("FTS5 used"))
    got = a.store.keyword_search(keyword_tokens("revenue opened"), 10, ["acme"])
    rows = a.store.catalog.chunks_by_ids([c for c, _ in got])
    assert got and {r["doc_id"] for r in rows.values()} == {"acme"}
    assert a.store.keyword_search(keyword_tokens("revenue"), 10, ["no-such-doc"]) == []
    assert a.store.keyword_search(["unseenword"], 10) == []


def test_a_commit_elsewhere_makes_the_snapshot_stale_and_fts5_answers(index, tmp_path, hash_embedder):
    """A document committed by another writer (here: without the rebuild) is found at once, through FTS5."""
    from rag.indexing import ingest_paths

    a, _ = index
    new = tmp_path / "new"
    new.mkdir()
    (new / "zephyr.txt").write_text("Zephyr Airships built a hangar in Reykjavik.\n", encoding="utf-8")
    ingest_paths(a.store, hash_embedder, [new], a.settings.ingest.chunk_size)   # commits, publishes no snapshot
    assert a.store.keywords.current() is None
    got = a.store.keyword_search(["reykjavik"], 5)
    assert got and a.store.catalog.chunks_by_ids([got[0][0]])[got[0][0]]["doc_id"] == "zephyr"
    a.store.refresh_keyword_index()
    assert a.store.keywords.current() is not None
    assert a.store.keyword_search(["reykjavik"], 5)[0][0] == got[0][0]


def test_removal_rebuilds_and_the_removed_document_is_gone(index, monkeypatch):
    a, _ = index
    before = a.store.catalog.keyword_generation()
    assert a.remove("acme")
    snap = a.store.keywords.current()
    assert snap is not None and snap.generation == before + 1
    monkeypatch.setattr(a.store.catalog, "keyword_search", lambda *x, **k: pytest.fail("FTS5 used"))
    assert a.store.keyword_search(["jakarta"], 5) == []
    assert a.store.keyword_search(["rotterdam"], 5)


def test_another_process_sees_the_published_snapshot(index):
    a, _ = index
    code = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(REPO / 'tests' / 'integration')!r})
        from itest_support import HashEmbedder
        from rag import Assistant
        a = Assistant(index_dir={str(a.index_dir)!r}, embedder=HashEmbedder())
        snap = a.store.keywords.current()
        print(snap.generation, a.store.keyword_search(["jakarta"], 3)[0][0])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    gen, top = out.stdout.split()
    assert int(gen) == a.store.catalog.keyword_generation()
    assert a.store.catalog.chunks_by_ids([top])[top]["doc_id"] == "acme"


def test_damaged_snapshot_falls_back_to_fts5(index, caplog):
    from rag import Assistant

    a, _ = index
    snap_dir = a.store.keywords.current().path
    for f in snap_dir.glob("*.npy"):
        f.write_bytes(b"not numpy")
    with Assistant(index_dir=a.index_dir, embedder=a.embedder) as b:
        assert b.store.keywords.current() is None
        got = b.store.keyword_search(["rotterdam"], 5)
        assert got and b.store.catalog.chunks_by_ids([got[0][0]])[got[0][0]]["doc_id"] == "orion"
        ans = b.ask("Where did Orion Logistics open a warehouse?")
        assert not ans.abstained
    assert "unreadable" in caplog.text


def test_empty_index_and_everything_removed(tmp_path, hash_embedder):
    from rag import Assistant

    src = tmp_path / "one.txt"
    src.write_text("Nimbus Foods sells frozen dumplings in Lyon.\n", encoding="utf-8")
    with Assistant(index_dir=tmp_path / "index", embedder=hash_embedder) as a:
        assert a.store.keyword_search(["lyon"], 5) == []
        assert a.ingest([src]).ok
        assert a.store.keyword_search(["lyon"], 5)
        assert a.remove("one")
        snap = a.store.keywords.current()
        assert snap is not None and snap.search(["lyon"], 5) == []
        assert a.store.keyword_search(["lyon"], 5) == []


def test_a_compound_the_documents_write_as_two_words_is_searched_as_those_words(tmp_path, hash_embedder):
    """"topline" in a question, "top line" in the filing: a word no chunk holds is cut into two words the
    index holds, and the passage that writes them is found by keyword search."""
    from rag import Assistant
    from rag.retrieval import split_compounds

    src = tmp_path / "docs"
    src.mkdir()
    (src / "release.txt").write_text("Sales fell 2%, and top line growth slowed as raw material costs rose.\n"
                                     "Operating cash flow rose to 1.2 billion.\n", encoding="utf-8")
    a = Assistant(index_dir=tmp_path / "index", embedder=hash_embedder)
    try:
        assert a.ingest([src]).ok
        cat = a.store.catalog
        assert split_compounds("How did topline growth change?", cat) == "How did top line growth change?"
        assert split_compounds("Was cashflow up?", cat) == "Was cash flow up?"
        assert split_compounds("Topline growth?", cat) == "Top line growth?"
        # a name stays as written, capitalised inside the text or in capitals
        assert split_compounds("Did Topline rise?", cat) == "Did Topline rise?"
        assert split_compounds("Did CASHFLOW rise?", cat) == "Did CASHFLOW rise?"
        # words the index holds, and words with no cut into indexed words, stay as written
        assert split_compounds("Did operating material costs rise at quuxcorpzz?", cat) == \
            "Did operating material costs rise at quuxcorpzz?"
        docs = a.retriever.search("topline", k=1)
        assert docs and "top line" in docs[0].page_content
    finally:
        a.close()
