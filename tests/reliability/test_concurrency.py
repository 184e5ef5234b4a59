"""Concurrent use: questions (from threads and the UI's handlers) while an ingest runs,
in the same process and from another process, and two ingest processes on one index.

Guarantees checked: no errors; an answer never cites or returns a passage of a
document that was not yet committed when the answer was produced (vectors of a
document being ingested are in Chroma before the catalog commits it: they must
be filtered out); two ``rag ingest`` processes serialise on the index lock, and
the index is consistent afterwards.
"""
from __future__ import annotations

import shutil
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from reliability_support import (
    ARTICLE_ID, BRAZIL_QUESTION, CORPUS, assert_consistent, filler_text, index_state, rag, rag_popen,
)

NEW_DOCS = {  # file -> (question, answer word, fact)
    "falcon.txt": ("Where did Falcon Aerospace open its engine test centre?", "Toulouse",
                   "Falcon Aerospace opened its engine test centre in Toulouse in May 2024."),
    "gannet.txt": ("How many stores did Gannet Retail close?", "37",
                   "Gannet Retail closed 37 stores in the Midlands during the year."),
    "ibis.txt": ("Which market did Ibis Pharma enter?", "Brazilian",
                 "Ibis Pharma entered the Brazilian generics market through a joint venture."),
}


def _write_new_docs(folder, sentences: int = 90):
    folder.mkdir(exist_ok=True)
    for i, (name, (_, _, fact)) in enumerate(NEW_DOCS.items()):
        text = filler_text(300 + i, sentences) + "\n\n" + fact + "\n\n" + filler_text(400 + i, sentences)
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def corpus_assistant(tmp_path, make_assistant):
    a = make_assistant(tmp_path / "index")
    assert a.ingest([CORPUS]).ok
    return a


def _ask_loop(a, questions, stop, record, errors, ui=None):
    i = 0
    while not stop.is_set():
        q = questions[i % len(questions)]
        i += 1
        t0 = time.monotonic()
        try:
            if ui is not None:
                _, turns, _ = ui.ask(q)
                ans = turns[-1]["answer"]
                if ans.get("error"):
                    errors.append(("ui", q, ans.get("notices")))
                record.append((t0, time.monotonic(), q, None, ans))
            else:
                ans = a.ask(q)
                record.append((t0, time.monotonic(), q, ans, None))
        except Exception as e:  # any exception is a failure of the guarantee
            errors.append((q, repr(e)))


def test_threads_and_ui_ask_while_ingesting(corpus_assistant, tmp_path):
    a = corpus_assistant
    folder = tmp_path / "new"
    _write_new_docs(folder)

    # observe (without changing) the real components: when each document is committed,
    # and which ids Chroma returns before the catalog filters them
    commits: dict[str, float] = {}
    raw_hits: list[tuple[float, list[str]]] = []
    real_commit = a.store.catalog.commit_document
    real_query = a.store.vectors.query

    def commit_document(record, *args, **kw):
        # a slow commit (as for a very large document) holds the new vectors in Chroma,
        # uncommitted, for a while: questions asked meanwhile must not see them
        time.sleep(1.5)
        out = real_commit(record, *args, **kw)
        commits[record["doc_id"]] = time.monotonic()
        return out

    def query(*args, **kw):
        hits = real_query(*args, **kw)
        raw_hits.append((time.monotonic(), [h[0] for h in hits]))
        return hits

    a.store.catalog.commit_document = commit_document
    a.store.vectors.query = query

    ui = None
    try:
        from ui.app import UIHandlers

        ui = UIHandlers(a)
    except ImportError:  # the ui extra is not installed: threads only
        pass

    questions = [q for q, _, _ in NEW_DOCS.values()] + [BRAZIL_QUESTION]
    stop = threading.Event()
    record: list = []
    errors: list = []
    askers = [threading.Thread(target=_ask_loop, args=(a, questions[k:] + questions[:k], stop, record, errors))
              for k in range(3)]
    if ui is not None:
        askers.append(threading.Thread(target=_ask_loop, args=(a, questions[::-1], stop, record, errors, ui)))
    for t in askers:
        t.start()
    time.sleep(0.5)
    ingest_errors = []

    def ingest():
        try:
            report = a.ingest([folder])
            if not report.ok:
                ingest_errors.extend(r.line() for r in report.failed)
        except Exception as e:
            ingest_errors.append(repr(e))

    t_ingest = threading.Thread(target=ingest)
    t_ingest.start()
    t_ingest.join(timeout=240)
    time.sleep(1.0)  # a few questions after the ingest
    stop.set()
    for t in askers:
        t.join(timeout=120)

    assert not t_ingest.is_alive() and not ingest_errors, ingest_errors
    assert not errors, errors[:3]
    assert len(record) >= 8, f"only {len(record)} answers during the ingest"
    for start, end, q, ans, ui_ans in record:
        citations = ans.citations if ans is not None else [SimpleNamespace(**c) for c in ui_ans["citations"]]
        cited = {c.doc_id for c in citations}
        passages = {p["doc_id"] for p in ans.passages} if ans is not None else set()
        for doc_id in cited | passages:
            if doc_id != ARTICLE_ID:
                # committed before the answer came back, never a document still being written
                assert doc_id in commits and commits[doc_id] <= end, (q, doc_id)
        for c in citations:
            assert c.quote in a.page_text(c.doc_id, c.page)
    # ids Chroma returned before the catalog had committed their document never reached an answer
    rows = a.store.catalog.chunks_by_ids(sorted({i for _, ids in raw_hits for i in ids}))
    uncommitted_seen = {i for t, ids in raw_hits for i in ids
                        if i in rows and rows[i]["doc_id"] in commits and commits[rows[i]["doc_id"]] > t}
    assert uncommitted_seen, "no question ran while a document's vectors were uncommitted"
    for start, end, q, ans, _ in record:
        for p in (ans.passages if ans is not None else []):
            doc_id = p["doc_id"]
            assert doc_id == ARTICLE_ID or commits[doc_id] <= end, (q, p["chunk_id"])
    # after the ingest every new document is found
    for q, word, fact in NEW_DOCS.values():
        assert any(fact in d.page_content for d in a.retrieve(q, k=6)), q
    assert_consistent(index_state(a), allow_pending=False)
    print(f"\n{len(record)} answers ({'with' if ui else 'without'} the UI handlers) during the ingest; "
          f"Chroma returned {len(uncommitted_seen)} not-yet-committed chunk ids, none reached an answer")


@pytest.mark.parametrize("through_chroma", [False, True])
def test_queries_stay_correct_while_another_process_ingests(corpus_assistant, tmp_path, monkeypatch, through_chroma):
    """A long-lived reader (like `rag ui`) and a `rag ingest` process on the same index; with
    ``through_chroma`` every search goes through the reader's embedded Chroma client, as an index
    above EXACT_MAX_CHUNKS does (the case the stale-read retry in rag/vectors.py is for)."""
    a = corpus_assistant
    if through_chroma:
        import rag.store as store_module

        monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    folder = tmp_path / "new"
    _write_new_docs(folder, sentences=40)
    stop = threading.Event()
    record: list = []
    errors: list = []
    questions = [q for q, _, _ in NEW_DOCS.values()] + [BRAZIL_QUESTION]
    askers = [threading.Thread(target=_ask_loop, args=(a, questions[k:] + questions[:k], stop, record, errors))
              for k in range(2)]
    for t in askers:
        t.start()
    r = rag("ingest", folder, index=a.index_dir)
    time.sleep(0.5)
    stop.set()
    for t in askers:
        t.join(timeout=120)
    assert r.returncode == 0, r.stderr
    assert not errors, errors[:3]
    assert len(record) >= 4
    for _, _, _, ans, _ in record:
        for c in ans.citations:
            assert c.quote in a.page_text(c.doc_id, c.page)
    # the reader sees the other process's vectors: dense search alone finds each new fact
    for q, word, fact in NEW_DOCS.values():
        hits = a.store.dense_search(np.asarray(a.embedder.embed_query(fact), dtype=np.float32), 5)
        rows = a.store.catalog.chunks_by_ids([cid for cid, _ in hits])
        assert any(fact in rows[cid]["text"] for cid, _ in hits), q
        assert any(fact in d.page_content for d in a.retrieve(q, k=6)), q
    state = index_state(a)
    assert_consistent(state, allow_pending=False)
    assert len(state.vector_ids) == state.catalog_chunks


def test_two_ingest_processes_serialise(tmp_path, make_assistant):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    shared = tmp_path / "shared"
    _write_new_docs(shared, sentences=60)
    folder_a.mkdir()
    folder_b.mkdir()
    shutil.copy(CORPUS / "article-alibaba-ai-rally.zh.txt", folder_a / "article.txt")
    (folder_b / "only-b.txt").write_text(filler_text(999, 40) + "\nOnly B knows the Wren Labs site in Oslo.\n",
                                         encoding="utf-8")
    index = tmp_path / "index"
    p1 = rag_popen("ingest", folder_a, shared, index=index)
    p2 = rag_popen("ingest", shared, folder_b, index=index)
    out1, err1 = p1.communicate(timeout=300)
    out2, err2 = p2.communicate(timeout=300)
    assert p1.returncode == 0 and p2.returncode == 0, (err1, err2)
    # each shared file was added by exactly one of them; the other found it already indexed
    for name in NEW_DOCS:
        added = [o for o in (out1, out2) if f"added      {shared / name}" in o]
        unchanged = [o for o in (out1, out2) if f"unchanged  {shared / name}" in o]
        assert len(added) == 1 and len(unchanged) == 1, (name, out1, out2)
    a = make_assistant(index)
    state = index_state(a)
    assert set(state.documents) == {"article", "only-b", "falcon", "gannet", "ibis"}
    assert_consistent(state, allow_pending=False)
    assert len(state.vector_ids) == state.catalog_chunks == a.store.vectors.count()


def test_lock_times_out_with_a_clear_error(tmp_path):
    from rag.indexing import IndexBusy, ingest_lock

    index = tmp_path / "index"
    held = threading.Event()
    release = threading.Event()

    def holder():
        with ingest_lock(index):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    assert held.wait(10)
    try:
        with pytest.raises(IndexBusy, match=r"another ingest is running on .*index"):
            with ingest_lock(index, wait_seconds=0.5):
                pass
    finally:
        release.set()
        t.join()
    with ingest_lock(index, wait_seconds=0.5):  # free again once the holder is done
        pass


def test_a_reader_sees_through_chroma_the_vectors_another_process_wrote(corpus_assistant, tmp_path, monkeypatch):
    """The cross-process case the store's generation check exists for: a long-lived reader whose
    embedded Chroma client was opened (and used) before another process added vectors. Searched
    through Chroma (as an index above EXACT_MAX_CHUNKS is), the new vectors must be found."""
    import rag.store as store_module

    a = corpus_assistant
    monkeypatch.setattr(store_module, "EXACT_MAX_CHUNKS", 0)
    probe = np.asarray(a.embedder.embed_query(BRAZIL_QUESTION), dtype=np.float32)
    assert a.store.dense_search(probe, 3)          # the reader's client is open and has answered
    folder = tmp_path / "new"
    _write_new_docs(folder, sentences=10)
    r = rag("ingest", folder, index=a.index_dir)
    assert r.returncode == 0, r.stderr
    for q, word, fact in NEW_DOCS.values():
        hits = a.store.dense_search(np.asarray(a.embedder.embed_query(fact), dtype=np.float32), 5)
        rows = a.store.catalog.chunks_by_ids([cid for cid, _ in hits])
        assert any(fact in rows[cid]["text"] for cid, _ in hits), q


def test_processes_opening_a_new_index_at_once_do_not_race(tmp_path):
    """Four processes opening the embedded Chroma store of one fresh index at the same moment (a UI
    and ingests started together). Chroma's own schema set-up once raced here ("table collections
    already exists"); this is the test that says whether an open lock is needed."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from rag.vectors import VectorStore; "
            "VectorStore(Path(sys.argv[1]), 'rag_chunks', 'test-embedder')._ensure_open(); print('opened')")
    for trial in range(3):
        index = tmp_path / f"fresh-{trial}"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(index)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 and "opened" in o for p, (o, _) in zip(procs, outs)), [e[-500:] for _, e in outs]
