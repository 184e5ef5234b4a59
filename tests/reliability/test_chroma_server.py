"""The core end-to-end checks against a real Chroma server (``chroma run``), and server faults.

Each test starts ``chroma run --host 127.0.0.1 --port N --path TMP`` (the CLI of the
installed chromadb package). With ``chroma_url`` / ``--chroma-url`` /
``RAG_CHROMA_URL`` the vectors live on the server; the catalog stays in the index
directory. A server that is down, stopped mid-question or hung gives one clear
error, ``VectorStoreError("cannot reach Chroma server at URL ...")`` (CLI: exit 2),
and the same Assistant works again once the server is back on the same port/path.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from reliability_support import (
    ARTICLE_ID, BRAZIL_QUESTION, CORPUS, GOOD_EN, assert_consistent, catalog_rows, clean_env, filler_text,
    index_state, rag, rag_popen, sources_json,
)
from rag.vectors import VectorStoreError

pytestmark = pytest.mark.chroma_server


def _check_brazil(a):
    ans = a.ask(BRAZIL_QUESTION)
    assert not ans.abstained and "巴西" in ans.text, ans.text
    assert ans.citations
    for c in ans.citations:
        assert c.quote and c.quote in a.page_text(c.doc_id, c.page)
    return ans


def test_end_to_end_on_server(chroma_server, tmp_path, make_assistant):
    index = tmp_path / "index"
    a = make_assistant(index, chroma_url=chroma_server.url)
    report = a.ingest([CORPUS])
    assert [(r.doc_id, r.status) for r in report] == [(ARTICLE_ID, "added")]
    ans = _check_brazil(a)
    assert ans.citations[0].doc_id == ARTICLE_ID
    # the vectors are on the server, not in the index directory
    assert not (index / "chroma").exists()
    state = index_state(a)
    assert_consistent(state, allow_pending=False)
    assert a.store.vectors.count() == state.catalog_chunks == a.sources()[0]["chunks"]

    # the CLI against the same server: --chroma-url, and RAG_CHROMA_URL
    docs = sources_json(index, chroma_url=chroma_server.url)
    assert list(docs) == [ARTICLE_ID]
    r = rag("ask", BRAZIL_QUESTION, "--json", index=index, env=clean_env(RAG_CHROMA_URL=chroma_server.url))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "巴西" in out["answer"] and out["citations"]

    # a bad file next to a good one, through the CLI on the server
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "zephyr.txt").write_text(GOOD_EN, encoding="utf-8")
    (inbox / "empty.txt").write_bytes(b"")
    r = rag("ingest", inbox, index=index, chroma_url=chroma_server.url)
    assert r.returncode == 1, r.stderr
    assert f"failed     {inbox / 'empty.txt'}: empty file (0 bytes)" in r.stderr
    state = index_state(make_assistant(index, chroma_url=chroma_server.url))
    assert set(state.documents) == {ARTICLE_ID, "zephyr"} and "empty" not in {d for d, _ in state.vectors}
    assert_consistent(state, allow_pending=False)

    # remove, and the vectors go from the server too
    assert a.remove("zephyr")
    assert a.store.vectors.entries(doc_id="zephyr") == []
    assert a.store.vectors.count() == index_state(a).catalog_chunks


def test_two_indexes_share_a_server_without_interfering(chroma_server, tmp_path, make_assistant):
    a1 = make_assistant(tmp_path / "one", chroma_url=chroma_server.url)
    a2 = make_assistant(tmp_path / "two", chroma_url=chroma_server.url)
    assert a1.ingest([CORPUS]).ok and a2.ingest([CORPUS]).ok
    assert a1.store.vectors._col.name != a2.store.vectors._col.name
    assert a1.remove(ARTICLE_ID)
    _check_brazil(a2)  # removing it from one index left the other's vectors alone
    assert a2.store.vectors.count() == a2.sources()[0]["chunks"]


def test_server_stopped_mid_session_then_restarted(chroma_server, tmp_path, make_assistant):
    index = tmp_path / "index"
    a = make_assistant(index, chroma_url=chroma_server.url)
    assert a.ingest([CORPUS]).ok
    _check_brazil(a)

    # questions keep coming from a thread while the server is stopped under them
    outcomes: list = []
    stop = threading.Event()

    def asker():
        while not stop.is_set():
            try:
                a.ask(BRAZIL_QUESTION)
                outcomes.append("ok")
            except Exception as e:
                outcomes.append(e)

    t = threading.Thread(target=asker)
    t.start()
    time.sleep(1.0)
    chroma_server.stop()
    time.sleep(1.5)
    stop.set()
    t.join(timeout=60)
    errors = [e for e in outcomes if e != "ok"]
    assert "ok" in outcomes and errors, outcomes[:5]
    for e in errors:  # every failure is the one clear error, nothing else
        assert isinstance(e, VectorStoreError), repr(e)
        assert str(e).startswith(f"cannot reach Chroma server at {chroma_server.url}"), str(e)
        assert "\n" not in str(e)

    with pytest.raises(VectorStoreError, match=r"cannot reach Chroma server at http://127\.0\.0\.1:\d+"):
        a.ask(BRAZIL_QUESTION)
    # the CLI: one line, exit 2 (a configuration/environment problem, like a usage error)
    for args in (("ask", BRAZIL_QUESTION), ("ingest", CORPUS)):
        r = rag(*args, index=index, chroma_url=chroma_server.url)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.startswith(f"rag: error: cannot reach Chroma server at {chroma_server.url}"), r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr

    # back on the same port and path: the same Assistant answers again
    chroma_server.start()
    _check_brazil(a)
    assert_consistent(index_state(a), allow_pending=False)


def test_server_stopped_during_ingest(chroma_server, tmp_path, make_assistant):
    """The server goes away while vectors are being written: the ingest stops with the clear
    error, the document is absent (not half there), and re-running after a restart completes it."""
    index = tmp_path / "index"
    a = make_assistant(index, chroma_url=chroma_server.url)
    assert a.ingest([CORPUS]).ok
    big = tmp_path / "big.txt"
    big.write_text(filler_text(5, 700), encoding="utf-8")
    real_add = a.store.vectors.add
    calls = []

    def add(ids, embeddings, metadatas):  # the server dies just as this document's vectors are sent
        calls.append(len(ids))
        chroma_server.stop()
        return real_add(ids, embeddings, metadatas)

    a.store.vectors.add = add
    with pytest.raises(VectorStoreError, match="cannot reach Chroma server"):
        a.ingest([big])
    del a.store.vectors.add
    assert calls
    docs_before_restart = {d["doc_id"] for d in a.sources()}
    assert docs_before_restart == {ARTICLE_ID}  # the catalog never committed it
    chroma_server.start()
    report = a.ingest([big])
    assert [r.status for r in report] == ["added"], [r.line() for r in report]
    state = index_state(a)
    assert_consistent(state, allow_pending=False)
    assert not state.pending and len(state.vector_ids) == state.catalog_chunks
    _check_brazil(a)


def test_hung_server_times_out_clearly(chroma_server, tmp_path, make_assistant, monkeypatch):
    monkeypatch.setenv("RAG_CHROMA_TIMEOUT", "2")
    a = make_assistant(tmp_path / "index", chroma_url=chroma_server.url)
    assert a.ingest([CORPUS]).ok
    chroma_server.pause()  # SIGSTOP: the port accepts connections, nothing answers
    try:
        t0 = time.monotonic()
        with pytest.raises(VectorStoreError, match="cannot reach Chroma server at .*Timeout"):
            a.ask(BRAZIL_QUESTION)
        assert time.monotonic() - t0 < 30
    finally:
        chroma_server.resume()
    _check_brazil(a)


def test_kill_and_concurrent_ingest_on_server(chroma_server, tmp_path, make_assistant):
    """Crash safety and the ingest lock hold with the vectors on a server too."""
    import random
    import signal

    from test_crash_safety import _check_after_kill, _wait_for, _write_docs

    folder = tmp_path / "docs"
    _write_docs(folder)
    index = tmp_path / "index"
    rng = random.Random(7)
    # two ingest processes start together on a new index: they agree on one server collection
    # and serialise on the lock; then two more runs are killed mid-way
    p1 = rag_popen("ingest", folder / "big.txt", folder / "report.pdf", index=index, chroma_url=chroma_server.url)
    p2 = rag_popen("ingest", folder / "report.pdf", folder / "medium-2.txt", index=index,
                   chroma_url=chroma_server.url)
    (o1, e1), (o2, e2) = p1.communicate(timeout=300), p2.communicate(timeout=300)
    assert p1.returncode == 0 and p2.returncode == 0, (e1, e2)
    assert sum(f"added      {folder / 'report.pdf'}" in o for o in (o1, o2)) == 1
    a = make_assistant(index, chroma_url=chroma_server.url)
    assert_consistent(index_state(a), allow_pending=False)
    for event in ("pending", "commit"):
        docs, _, _, pending = catalog_rows(index)
        baseline = {"docs": {d: r["version"] for d, r in docs.items()}, "pending": pending}
        proc = rag_popen("ingest", folder, index=index, chroma_url=chroma_server.url)
        assert _wait_for(index, proc, event, baseline, timeout=60), proc.communicate()
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        _check_after_kill(make_assistant(index, chroma_url=chroma_server.url), folder)
    r = rag("ingest", folder, index=index, chroma_url=chroma_server.url)
    assert r.returncode == 0, r.stderr
    a = make_assistant(index, chroma_url=chroma_server.url)
    state = index_state(a)
    assert_consistent(state, allow_pending=False)
    assert len(state.documents) == 5 and len(state.vector_ids) == state.catalog_chunks == a.store.vectors.count()
