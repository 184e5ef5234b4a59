"""Read-ahead: a child process reads, cleans and chunks the next files while this one embeds.

It must change nothing but the time an ingest takes: the same rows in the catalog, the
same reasons for the same bad files, nothing read ahead that is already indexed, and a
child that dies costs only the file it was reading.
"""
from __future__ import annotations

import os
import signal
import sqlite3

import pytest

import rag.indexing as indexing
from rag.indexing import ReadAhead


def _write_inbox(d):
    d.mkdir()
    for i in range(5):
        (d / f"note-{i}.txt").write_text(
            "\n\n".join(f"Company {i} opened office {j} in city {j * 7 + i} with {10 * j + i} staff."
                        for j in range(40)) + "\n", encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    (d / "latin1.md").write_bytes("# Résumé\n\nCafé sales rose 4% to 3 million francs.\n".encode("latin-1"))
    return d


def _rows(a):
    conn = sqlite3.connect(a.store.catalog.path)
    chunks = conn.execute("SELECT doc_id, page, start, end, ord, text FROM chunks ORDER BY doc_id, ord").fetchall()
    pages = conn.execute("SELECT doc_id, page, text FROM pages ORDER BY doc_id, page").fetchall()
    tokens = conn.execute("SELECT c.doc_id, c.ord, f.tokens FROM chunks c JOIN chunks_fts f ON f.rowid = c.rowid"
                          " ORDER BY c.doc_id, c.ord").fetchall()
    return chunks, pages, tokens


def _ingest(tmp_path, name, inbox, embedder, pipeline, monkeypatch):
    from rag import Assistant

    a = Assistant(index_dir=tmp_path / name, embedder=embedder, ingest_pipeline=pipeline)
    report = a.ingest([inbox])
    return a, report


def test_same_catalog_and_reasons_with_and_without_read_ahead(tmp_path, hash_embedder, monkeypatch):
    inbox = _write_inbox(tmp_path / "inbox")
    requested = []
    real_request = ReadAhead.request
    monkeypatch.setattr(ReadAhead, "request", lambda self, i, p, m: (requested.append(p.name),
                                                                     real_request(self, i, p, m)))
    a, with_child = _ingest(tmp_path, "a", inbox, hash_embedder, True, monkeypatch)
    b, in_process = _ingest(tmp_path, "b", inbox, hash_embedder, False, monkeypatch)
    try:
        assert len(requested) == len(with_child.results) - 1   # all but the first file went to the child
        assert [(r.path, r.status, r.reason, r.chunks) for r in with_child] == \
               [(r.path, r.status, r.reason, r.chunks) for r in in_process]
        reasons = {os.path.basename(r.path): r.reason for r in with_child.failed}
        assert set(reasons) == {"empty.txt", "broken.pdf"}
        assert "empty file" in reasons["empty.txt"]
        assert _rows(a) == _rows(b)
        assert all(r.stages.get("extraction") is not None for r in with_child if r.status == "added")
        # the child also made the keyword tokens of the files it read (the same as made here: _rows); the
        # first file, read here, failed
        assert all(r.stages.get("keyword_tokens") is not None for r in with_child if r.status == "added")
    finally:
        a.close()
        b.close()


def test_unchanged_files_are_not_read_ahead(tmp_path, hash_embedder, monkeypatch):
    inbox = _write_inbox(tmp_path / "inbox")
    a, first = _ingest(tmp_path, "a", inbox, hash_embedder, True, monkeypatch)
    try:
        requested = []
        monkeypatch.setattr(ReadAhead, "request", lambda self, i, p, m: requested.append(p.name))
        (inbox / "note-3.txt").write_text("Company 3 closed every office in 2024.\n", encoding="utf-8")
        again = a.ingest([inbox])
        statuses = {os.path.basename(r.path): r.status for r in again}
        assert statuses["note-3.txt"] == "replaced"
        assert sum(s == "unchanged" for s in statuses.values()) == 5
        # the first file (broken.pdf) is read here; of the rest, only the changed file and the one
        # that failed before (never indexed) were worth reading ahead
        assert requested == ["empty.txt", "note-3.txt"]
    finally:
        a.close()


def test_child_that_dies_fails_only_the_file_it_was_reading(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Revenue rose 5% in the quarter. " * 200_000, encoding="utf-8")
    small = tmp_path / "small.txt"
    small.write_text("Net income was $2 million.\n", encoding="utf-8")
    ahead = ReadAhead(160.0)
    try:
        ahead.request(1, big, None)
        ahead.request(2, small, None)
        os.kill(ahead._proc.pid, signal.SIGKILL)   # before it can even have read the request
        died = ahead.take(1, big)
        with pytest.raises(indexing.IngestError) as e:
            died.result()
        assert "reading process stopped" in e.value.reason and str(big) in str(e.value)
        assert ahead.take(2, small) is None   # the next file is read in this process instead
    finally:
        ahead.close()


def test_ingest_survives_a_dead_child(tmp_path, hash_embedder, monkeypatch):
    """End to end: the child is killed after the first request; every other file is still indexed."""
    from rag import Assistant

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(4):
        (inbox / f"n{i}.txt").write_text(f"Office {i} has {i + 10} staff members.\n", encoding="utf-8")
    real_request = ReadAhead.request

    def request_then_kill(self, i, path, meta):
        real_request(self, i, path, meta)
        if path.name == "n1.txt":
            os.kill(self._proc.pid, signal.SIGKILL)

    monkeypatch.setattr(ReadAhead, "request", request_then_kill)
    a = Assistant(index_dir=tmp_path / "index", embedder=hash_embedder)
    try:
        report = a.ingest([inbox])
        by_name = {os.path.basename(r.path): r for r in report}
        assert by_name["n1.txt"].status == "failed" and "reading process stopped" in by_name["n1.txt"].reason
        assert all(by_name[f"n{i}.txt"].status == "added" for i in (0, 2, 3))
        monkeypatch.setattr(ReadAhead, "request", real_request)
        assert a.ingest([inbox]).results[1].status == "added"   # and a retry indexes it
    finally:
        a.close()
