"""Crash safety: ``rag ingest`` killed with SIGKILL at random moments, several times.

Why it holds (rag/store.py, rag/catalog.py): a document version's vectors go to
Chroma first, tagged with the version and recorded as *pending* in the catalog;
the catalog then makes the version visible in ONE SQLite transaction (document
row, pages, chunks, keyword index); superseded and pending vectors are deleted
afterwards, and again at the start of the next ingest. Queries only return
chunks the catalog has committed. So after a kill at any point each document is
either fully searchable (at its old or its new version) or absent, and the next
ingest finishes the work without duplicates.

After each kill this test opens the index, checks every committed document has
exactly its recorded chunk count in the catalog, in the keyword index and in
Chroma (vectors of its committed version), that any other vectors belong to a
version recorded as pending, and that no query -- not even one aimed exactly at
a pending vector -- returns an uncommitted chunk. Finally a full ingest must
leave Chroma holding exactly the catalog's chunks.
"""
from __future__ import annotations

import hashlib
import random
import shutil
import signal
import time

from pathlib import Path

import numpy as np

from reliability_support import (
    CORPUS, assert_consistent, catalog_rows, filler_text, index_state, make_pdf, rag, rag_popen,
)
from rag.indexing import slug

SEED = 20241125
KILL_PHASE_SECONDS = 40  # no new kill round after this; the final ingest follows (~5-10 s)
REPLACEMENT = "更正：本文仅供参考，不构成投资建议，数据以公司公告为准。"
MARKERS = {  # doc file -> (question, fact only that document states, word the answer must hold)
    "big.txt": ("Where is the Kestrel Dynamics foundry?",
                "The Kestrel Dynamics foundry in Reno produced 41,000 wafers.", "Reno"),
    "medium-1.txt": ("Which bakery chain did Osprey Mills acquire?",
                     "Osprey Mills acquired the Lisbon bakery chain Pao Dourado.", "Pao Dourado"),
    "medium-2.txt": ("Where did Heron Freight open a bonded depot?",
                     "Heron Freight opened a bonded depot in Antwerp.", "Antwerp"),
    "report.pdf": ("Where did Plover Energy commission a wind farm?",
                   "Plover Energy commissioned a wind farm off Esbjerg.", "Esbjerg"),
}


def _write_docs(folder):
    folder.mkdir()
    big = filler_text(SEED, 150) + "\n\n" + MARKERS["big.txt"][1] + "\n\n" + filler_text(SEED + 1, 150)
    (folder / "big.txt").write_text(big, encoding="utf-8")
    for i, name in enumerate(("medium-1.txt", "medium-2.txt"), 2):
        (folder / name).write_text(filler_text(SEED + i, 60) + "\n\n" + MARKERS[name][1] + "\n", encoding="utf-8")
    make_pdf(folder / "report.pdf", [filler_text(SEED + 9, 20), MARKERS["report.pdf"][1] + " " + filler_text(SEED + 10, 20)])
    shutil.copy(CORPUS / "article-alibaba-ai-rally.zh.txt", folder / "article.zh.txt")


def _wait_for(index, proc, event: str, baseline: dict, timeout: float) -> bool:
    """Poll the catalog until ``event`` happens: a new pending version, or a new committed one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            docs, _, _, pending = catalog_rows(index)
        except Exception:  # catalog not created yet
            docs, pending = {}, set()
        # the garbage table lists versions being written (not committed yet) and superseded
        # ones (after a commit); a killed run's leftovers were there before this run started
        new_pending = pending - baseline["pending"]
        if event == "pending" and any(d not in docs for d, v in new_pending):
            return True  # a new document's vectors are being written
        target = event[8:] if event.startswith("pending:") else None
        if target and target in docs and docs[target]["version"] == baseline["docs"].get(target) and any(
                d == target and v != docs[d]["version"] for d, v in new_pending):
            return True  # a new version of a committed document is being written, the old one still live
        if event == "commit" and any(baseline["docs"].get(d) != r["version"] for d, r in docs.items()):
            return True
        time.sleep(0.01)
    return False


def _check_after_kill(a, docs_folder) -> dict:
    state = index_state(a)
    assert_consistent(state, allow_pending=True)
    committed_ids = set(a.store.catalog.chunks_by_ids(sorted(state.vector_ids)))
    stray = state.vector_ids - committed_ids
    # queries aimed exactly at uncommitted vectors must never return them
    if stray:
        got = a.store.vectors._col.get(ids=sorted(stray)[:5], include=["embeddings"])
        for emb in got["embeddings"]:
            hits = a.store.dense_search(np.asarray(emb, dtype=np.float32), 20)
            assert not {cid for cid, _ in hits} & stray
    for name, (question, fact, word) in MARKERS.items():
        ans = a.ask(question)
        for p in ans.passages:
            assert p["chunk_id"] in committed_ids, f"{question}: passage from an uncommitted chunk"
        for c in ans.citations:
            assert c.doc_id in state.documents and c.quote in a.page_text(c.doc_id, c.page)
    return {"documents": len(state.documents), "stray_vectors": len(stray), "pending": len(state.pending)}


def test_sigkill_during_ingest_never_leaves_a_partial_document(tmp_path, make_assistant):
    t_start = time.monotonic()
    rng = random.Random(SEED)
    folder = tmp_path / "docs"
    _write_docs(folder)
    index = tmp_path / "index"
    log = []
    # When to kill, relative to what the ingest is doing (machine speed varies, so the
    # moments are found by watching the catalog, then a seeded random delay is added):
    #   startup  - while Python, Chroma and the embedder load
    #   pending  - after a version's vectors started going to Chroma, before its commit
    #   commit   - right after a document was committed (old vectors being deleted, next file)
    #   replace  - a committed file changed: during the write of its new version
    plan = ["startup", "pending", "commit", "replace", "pending", "commit"]
    for round_no, kind in enumerate(plan):
        if round_no >= 3 and time.monotonic() - t_start > KILL_PHASE_SECONDS - 10:
            break  # keep the test under a minute on a slow machine
        if kind == "replace":  # the first file ingested gets a new version
            with open(folder / "article.zh.txt", "a", encoding="utf-8") as f:
                f.write("\n" + REPLACEMENT + "\n")
        docs, _, _, pending = catalog_rows(index) if index.exists() else ({}, {}, 0, set())
        baseline = {"docs": {d: r["version"] for d, r in docs.items()}, "pending": pending}
        proc = rag_popen("ingest", folder, index=index)
        if kind == "startup":
            seen, delay = None, rng.uniform(0.3, 2.5)
        else:
            event = {"commit": "commit", "pending": "pending", "replace": "pending:article-zh"}[kind]
            budget = max(3.0, KILL_PHASE_SECONDS - (time.monotonic() - t_start))
            seen = _wait_for(index, proc, event, baseline, timeout=min(30.0, budget))
            delay = rng.uniform(0.0, 0.4 if kind in ("commit", "replace") else 0.8)
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        a = make_assistant(index)
        info = _check_after_kill(a, folder)
        a.close()
        log.append(f"round {round_no}: {kind:<8} event seen={seen} +{delay:.2f}s "
                   f"{'finished before the kill' if finished else 'killed'} at {time.monotonic() - t_start:.1f}s "
                   f"-> {info}")
    # the next ingest completes the work, with no duplicate chunks
    r = rag("ingest", folder, index=index)
    assert r.returncode == 0, r.stderr
    a = make_assistant(index)
    state = index_state(a)
    assert_consistent(state, allow_pending=False)
    assert not state.pending
    assert len(state.vector_ids) == state.catalog_chunks == a.store.vectors.count()
    assert set(state.documents) == {"big", "medium-1", "medium-2", "report", "article-zh"}
    for name in ("big.txt", "medium-1.txt", "medium-2.txt", "report.pdf", "article.zh.txt"):
        doc = state.documents[slug(Path(name).stem)]
        assert doc["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()  # current version
    for name, (question, fact, word) in MARKERS.items():
        ans = a.ask(question)
        assert not ans.abstained and any(word in c.quote for c in ans.citations), (question, ans.text)
    if "replace" in plan[:len(log)]:
        assert REPLACEMENT in a.page_text("article-zh", None)
    elapsed = time.monotonic() - t_start
    print("\n" + "\n".join(log) + f"\nfinal ingest: {r.stdout.strip().splitlines()[-1]}\ntotal {elapsed:.1f}s")
    assert sum(1 for e in log if e.endswith("killed") or " killed at " in e) >= 3
    assert elapsed < 90, f"kill test took {elapsed:.0f}s"
