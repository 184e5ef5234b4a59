"""Keyword search at scale: a BM25 snapshot (bm25s, memory-mapped) of the catalog's tokens.

The catalog's FTS5 table is the keyword index of record: it is written in the same
transaction as the chunks, so it is never out of step with them. But FTS5 computes
bm25 for every row that matches any query term, and at 100k chunks a question's
common words match tens of thousands of rows: 22/59 ms (p50/p95) unscoped, ~28/63-77 ms
inside a scope, and 0.6-1 s when the page cache has been evicted. A bm25s index keeps
precomputed BM25 weights as a sparse term x chunk matrix: a query adds up a few
columns and takes the top k: 2.1/4.6 ms unscoped and under 1 ms in a scope (cold:
34-60 ms), with the same top 30 as FTS5 (99.9% overlap; evals/BENCHMARKS.md, "Storage").

bm25s cannot add to an index, so it is a *snapshot*: built after an ingest or a
removal (``build``), tagged with the catalog's keyword generation (a counter bumped in
every commit that changes chunks), written to a new directory and renamed into place.
A reader uses it only while its generation is the catalog's current one; otherwise
(an ingest in progress in another process, a crash before the rebuild) keyword search
falls back to FTS5, which is always current. So a stale snapshot costs speed, never
correctness. It holds keyword postings only: the chunks' vectors live in the catalog
(rag/catalog.py says why).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# FTS5's bm25: k1=1.2, b=0.75 and Robertson's idf (terms in over half the rows weigh nothing), so a
# snapshot ranks and scores as the FTS5 fallback does (bm25s leaves out the constant factor k1+1)
K1, B, METHOD = 1.2, 0.75, "robertson"
MATCH_EPSILON = 1e-6


def _dir_name(generation: int) -> str:
    return f"bm25-g{generation}"


class KeywordSnapshot:
    """One generation of the BM25 index: the model, and which catalog row/document each column is."""

    def __init__(self, path: Path, generation: int, model, rowids: np.ndarray, doc_of: np.ndarray,
                 doc_ids: list[str]):
        self.path, self.generation, self.model = path, generation, model
        self.rowids, self.doc_of = rowids, doc_of
        self.doc_index = {d: i for i, d in enumerate(doc_ids)}

    # -- building -----------------------------------------------------------------------
    @staticmethod
    def build(catalog, directory: Path) -> Path | None:
        """Snapshot the catalog's keyword tokens as they are now; returns its directory (None: nothing to index)."""
        import bm25s

        directory = Path(directory)
        if (directory / _dir_name(catalog.keyword_generation()) / "docs.json").exists():
            return directory / _dir_name(catalog.keyword_generation())   # nothing changed since the last build
        generation, rows = catalog.keyword_rows()
        target = directory / _dir_name(generation)
        if target.exists():
            return target
        directory.mkdir(parents=True, exist_ok=True)
        if rows:
            doc_ids = list(dict.fromkeys(r[2] for r in rows))
            index_of = {d: i for i, d in enumerate(doc_ids)}
            model = bm25s.BM25(k1=K1, b=B, method=METHOD)
            # token ids, not token strings: at 100k chunks the lists of ~10M short strings were most of
            # an ingest's peak memory. A chunk without tokens still needs its column (row numbers line up)
            vocab: dict[str, int] = {}
            ids = [[vocab.setdefault(t, len(vocab)) for t in (r[1].split() or [""])] for r in rows]
            model.index((ids, vocab), show_progress=False)
            del ids
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=directory))
        try:
            if rows:
                model.save(str(tmp))
                np.save(tmp / "rowids.npy", np.asarray([r[0] for r in rows], dtype=np.int64))
                np.save(tmp / "doc_of.npy", np.asarray([index_of[r[2]] for r in rows], dtype=np.int32))
            else:
                doc_ids = []
            (tmp / "docs.json").write_text(json.dumps({"generation": generation, "doc_ids": doc_ids,
                                                       "chunks": len(rows)}, ensure_ascii=False))
            os.replace(tmp, target)   # a directory appears whole or not at all
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in directory.glob("bm25-g*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)   # readers that mapped it keep their open files
        for stale in directory.glob(".building-*"):
            if stale != tmp:
                shutil.rmtree(stale, ignore_errors=True)  # left by a crashed build
        return target

    # -- reading ------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: Path, generation: int) -> "KeywordSnapshot | None":
        import bm25s

        path = Path(directory) / _dir_name(generation)
        try:
            info = json.loads((path / "docs.json").read_text())
            if info["chunks"] == 0:
                return cls(path, generation, None, np.zeros(0, np.int64), np.zeros(0, np.int32), [])
            model = bm25s.BM25.load(str(path), mmap=True)
            rowids = np.load(path / "rowids.npy", mmap_mode="r")
            doc_of = np.load(path / "doc_of.npy", mmap_mode="r")
        except FileNotFoundError:
            return None   # not built yet, or replaced by a newer generation meanwhile
        except Exception as e:  # a damaged snapshot is only slower search, not a failed question
            log.warning("keyword snapshot %s unreadable (%s); using FTS5", path, e)
            return None
        return cls(path, generation, model, rowids, doc_of, info["doc_ids"])

    def _scores(self, term_ids: list[int]) -> np.ndarray:
        # bm25s's own get_scores, plus what FTS5 does for a term in over half the rows (idf 0): the
        # rows it matches still count as matches, with a tiny score (FTS5 uses idf 1e-6)
        sc = self.model.scores
        data, indices, indptr = sc["data"], sc["indices"], sc["indptr"]
        scores = np.zeros(sc["num_docs"], dtype=np.float32)
        for t in term_ids:
            lo, hi = int(indptr[t]), int(indptr[t + 1])
            scores[indices[lo:hi]] += data[lo:hi] + MATCH_EPSILON
        return scores

    def search(self, query_tokens: list[str], limit: int,
               doc_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """(catalog rowid, BM25 score) best first, rows matching at least one term only."""
        if self.model is None or limit <= 0:
            return []
        vocab = self.model.vocab_dict
        known = [t for t in dict.fromkeys(query_tokens) if t and t in vocab]
        if not known:
            return []
        mask = None
        if doc_ids is not None:
            wanted = [self.doc_index[d] for d in doc_ids if d in self.doc_index]
            if not wanted:
                return []
            mask = np.isin(self.doc_of, np.asarray(wanted, dtype=np.int32)).astype(np.float32)
        scores = self._scores([vocab[t] for t in known])
        if mask is not None:
            scores *= mask
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return [(int(self.rowids[i]), float(scores[i]) * (K1 + 1)) for i in top]


class KeywordIndex:
    """The current snapshot for a catalog, reopened when another process publishes a newer one."""

    def __init__(self, catalog, directory: Path):
        self.catalog, self.directory = catalog, Path(directory)
        self._snapshot: KeywordSnapshot | None = None
        self._lock = threading.Lock()

    def current(self) -> KeywordSnapshot | None:
        generation = self.catalog.keyword_generation()
        snap = self._snapshot
        if snap is not None and snap.generation == generation:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.generation != generation:
                snap = KeywordSnapshot.open(self.directory, generation)
                if snap is not None:
                    self._snapshot = snap
        return snap if snap is not None and snap.generation == generation else None

    def rebuild(self) -> None:
        KeywordSnapshot.build(self.catalog, self.directory)
