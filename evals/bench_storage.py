"""Storage benchmark: every copy of the vectors and every keyword index, read as retrieval reads them.

    python -m evals.bench_storage --sizes 10000,100000 [--work .bench] [--questions 220] [--cold 40]
                                  [--md evals/BENCHMARKS.md] [--json PATH] [--rebuild]

For each size it builds evals/bench.py's synthetic corpus and our index of it (evals/bench.py's ingest
worker; stand-in vectors above 10k chunks, as there) once, under WORK/storage-N, kept between runs
(``--rebuild`` redoes it). Then, each family of paths in its own fresh process, over the same
>= 200 questions (the eval suites' and the corpus's, embedded with USE beforehand, not timed):

Dense, top 30, unscoped and scoped to one document, five documents, 10% of the documents:

* ``chroma``: Chroma's HNSW query, unfiltered or with a ``where`` filter on doc_id;
* ``chroma over-fetch``: unfiltered with n * total / in_scope * 1.5 + n results, then filtered;
* ``chroma get + exact``: Chroma's ``get(where, include=embeddings)``, then exact cosine in numpy;
* ``catalog``: exact cosine over the catalog's float16 copies (one SQLite blob per chunk);
* ``snapshot``: exact cosine over the keyword snapshot's float16 matrix (memory-mapped).

Keyword, top 30: FTS5 exact (bm25 over every matching row), FTS5 as the catalog answers now
(``Catalog.keyword_search``), and the bm25s snapshot.

Per-question reads retrieval makes besides search: the vectors of 60 chunks by id (catalog,
snapshot, Chroma ``get``), and every chunk of 30 pages with its vector and tokens (the page ranker).

Warm: p50/p95 over every question, after a warm-up pass. Cold: the index's files are evicted from the
page cache (``posix_fadvise(DONTNEED)`` on each file, ours only: the machine is shared) before each of
``--cold`` questions, and SQLite connections and memory maps are reopened; Chroma keeps its HNSW index
in memory once loaded, so its cold figure is also a fresh process's first query after eviction
(median of 3). Also: each copy's size on disk, the resident memory a process gains by searching
through it, and HNSW recall@30 against exact search. A path whose first questions take over 0.5 s
each is stopped after 20 (n is reported).

(Over 500 lines on purpose: each family of paths runs in a fresh process that re-runs this
module, so the driver, its workers and the report are one runnable file.)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from evals.shared import REPO

N = 30                      # results per search, as retrieval asks (Settings.candidates)
SCOPES = ("all", "1 doc", "5 docs", "10% docs")
SLOW_S, SLOW_CAP = 0.5, 20
BEGIN, END = "<!-- bench_storage: begin -->", "<!-- bench_storage: end -->"


# ---------------------------------------------------------------------------------------------
# helpers shared by the workers
# ---------------------------------------------------------------------------------------------

def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pct(xs, p):
    from evals.bench import _pct as pct

    return pct(xs, p)


def evict(path: Path) -> None:
    """Drop these files' pages from the page cache (clean pages not mapped by a live process)."""
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    for f in files:
        try:
            fd = os.open(f, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def nearest(matrix, q, n: int) -> list[tuple[int, float]]:
    """As rag/store.py's (float32, einsum), so every exact path is timed with the same arithmetic."""
    import numpy as np

    if not len(matrix):
        return []
    sims = np.einsum("ij,j->i", np.asarray(matrix, dtype=np.float32), q)
    k = min(n, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(i), float(sims[i])) for i in top]


def _in(n: int) -> str:
    return ",".join("?" * n)


class Queries:
    """What the parent prepared: query vectors (unit), keyword tokens, scopes, ids to fetch."""

    def __init__(self, index: Path):
        import numpy as np

        self.index = index
        meta = json.loads((index.parent / f"{index.name}-queries.json").read_text(encoding="utf-8"))
        self.vectors = np.load(index.parent / f"{index.name}-queries.npy")
        self.tokens = meta["tokens"]
        self.scopes = meta["scopes"]          # per question: {"1 doc": [...], "5 docs": [...], "10% docs": [...]}
        self.fetch_ids = meta["fetch_ids"]    # per question: 60 chunk ids
        self.pages = meta["pages"]            # per question: 30 (doc_id, page)
        self.total = meta["total_chunks"]
        self.counts = meta["counts"]

    def __len__(self):
        return len(self.tokens)

    def scope(self, i: int, kind: str):
        return None if kind == "all" else self.scopes[i][kind]


def _catalog_conn(index: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)


def _snapshot_dir(index: Path) -> Path | None:
    dirs = sorted((index / "keyword").glob("bm25-g*"), key=lambda p: int(p.name[6:]))
    return dirs[-1] if dirs else None


def _time_path(fn, qs: Queries, kind: str, cold: int, evict_paths: list[Path], reopen=None) -> dict:
    """Warm: every question after a warm-up pass over 20; cold: ``cold`` questions, files evicted first."""
    n_q = len(qs)
    try:
        fn(0, kind)
    except Exception as e:   # e.g. Chroma asked for ~all of a 100k index: "too many SQL variables"
        return {"error": f"{type(e).__name__}: {str(e)[-80:]}"}
    for i in range(min(20, n_q)):
        fn(i, kind)
    lat = []
    for i in range(n_q):
        t0 = time.perf_counter()
        fn(i, kind)
        lat.append(time.perf_counter() - t0)
        if len(lat) == 5 and statistics.median(lat) > SLOW_S:
            n_q = min(n_q, SLOW_CAP)
        if len(lat) >= n_q:
            break
    out = {"n": len(lat), "p50_ms": round(_pct(lat, 50) * 1000, 2), "p95_ms": round(_pct(lat, 95) * 1000, 2)}
    if cold:
        clat = []
        for i in range(min(cold, SLOW_CAP if len(lat) < len(qs) else cold)):
            j = (i * 7 + 3) % len(qs)
            for p in evict_paths:
                evict(p)
            if reopen:
                reopen()
            t0 = time.perf_counter()
            fn(j, kind)
            clat.append(time.perf_counter() - t0)
        out.update({"cold_n": len(clat), "cold_p50_ms": round(_pct(clat, 50) * 1000, 2),
                    "cold_p95_ms": round(_pct(clat, 95) * 1000, 2)})
    return out


# ---------------------------------------------------------------------------------------------
# workers (each in a fresh process)
# ---------------------------------------------------------------------------------------------

def worker_prep(a) -> dict:
    """Embed the questions, tokenise them as retrieval does, draw scopes and ids to fetch."""
    import numpy as np

    from evals.bench import _query_embedder, questions_for
    from rag.glossary import expand
    from rag.questions import search_text
    from rag.text import keyword_tokens

    index, work = Path(a.index), Path(a.work)
    qs = questions_for(a.size_key, work, a.questions)
    emb = _query_embedder(a.stand_in)
    vecs = np.asarray([emb.embed_query(search_text(q)) for q in qs], dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    conn = _catalog_conn(index)
    counts = dict(conn.execute("SELECT doc_id, chunks FROM documents ORDER BY doc_id").fetchall())
    docs = sorted(counts)
    ids = [r[0] for r in conn.execute("SELECT chunk_id FROM chunks ORDER BY rowid")]
    pages = [tuple(r) for r in conn.execute("SELECT DISTINCT doc_id, page FROM chunks")]
    rng = random.Random(16)
    scopes, fetch, pick = [], [], []
    for _ in qs:
        scopes.append({"1 doc": rng.sample(docs, 1), "5 docs": rng.sample(docs, min(5, len(docs))),
                       "10% docs": rng.sample(docs, max(1, len(docs) // 10))})
        fetch.append(rng.sample(ids, min(60, len(ids))))
        pick.append(rng.sample(pages, min(30, len(pages))))
    np.save(index.parent / f"{index.name}-queries.npy", vecs)
    (index.parent / f"{index.name}-queries.json").write_text(json.dumps({
        "questions": qs, "tokens": [keyword_tokens(expand(search_text(q))) for q in qs], "scopes": scopes,
        "fetch_ids": fetch, "pages": pick, "total_chunks": len(ids), "counts": counts}, ensure_ascii=False))
    return {"questions": len(qs), "documents": len(docs), "chunks": len(ids)}


def worker_chroma(a) -> dict:
    import numpy as np

    index = Path(a.index)
    qs = Queries(index)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(index / "chroma"), settings=Settings(anonymized_telemetry=False))
    col = client.get_collection("rag_chunks")
    t_open = time.perf_counter() - t0
    if a.first_only:   # fresh process, files evicted by the parent: the first query loads HNSW from disk
        t1 = time.perf_counter()
        col.query(query_embeddings=[qs.vectors[0].tolist()], n_results=N, include=["distances", "metadatas"])
        return {"open_s": round(t_open, 3), "first_query_s": round(time.perf_counter() - t1, 3),
                "rss_mb": round(_rss_mb() - rss0, 1)}
    conn = _catalog_conn(index)

    def committed(ids):
        return {r[0] for r in conn.execute(f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({_in(len(ids))})", ids)}

    def where(scope):
        return {"doc_id": {"$in": scope}} if len(scope) > 1 else {"doc_id": scope[0]}

    def query(i, kind):
        scope = qs.scope(i, kind)
        res = col.query(query_embeddings=[qs.vectors[i].tolist()], n_results=N,
                        where=None if scope is None else where(scope), include=["distances", "metadatas"])
        ids = res["ids"][0]
        ok = committed(ids)
        return [c for c in ids if c in ok]

    def overfetch(i, kind):
        scope = qs.scope(i, kind)
        if scope is None:
            return query(i, kind)
        in_scope = sum(qs.counts[d] for d in scope)
        want = min(qs.total, int(N * qs.total / in_scope * 1.5) + N)
        res = col.query(query_embeddings=[qs.vectors[i].tolist()], n_results=want, include=["distances", "metadatas"])
        allowed = set(scope)
        ids = [c for c, m in zip(res["ids"][0], res["metadatas"][0]) if (m or {}).get("doc_id") in allowed][:N]
        ok = committed(ids) if ids else set()
        return [c for c in ids if c in ok]

    def get_exact(i, kind):
        scope = qs.scope(i, kind)
        if scope is None:
            return None
        res = col.get(where=where(scope), include=["embeddings"])
        m = np.asarray(res["embeddings"], dtype=np.float32)
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        return [res["ids"][r] for r, _ in nearest(m, qs.vectors[i], N)]

    def fetch(i, kind):
        res = col.get(ids=qs.fetch_ids[i], include=["embeddings"])
        return len(res["ids"])

    out: dict = {"open_s": round(t_open, 3)}
    chroma_dir = [index / "chroma"]
    query(0, "all")
    out["rss_after_first_query_mb"] = round(_rss_mb() - rss0, 1)
    for kind in SCOPES:
        out[f"query|{kind}"] = _time_path(query, qs, kind, a.cold, chroma_dir)
    for kind in SCOPES[1:]:
        out[f"overfetch|{kind}"] = _time_path(overfetch, qs, kind, a.cold, chroma_dir)
        out[f"get_exact|{kind}"] = _time_path(get_exact, qs, kind, a.cold, chroma_dir)
    out["fetch60|all"] = _time_path(fetch, qs, "all", a.cold, chroma_dir)
    out["ids_unscoped"] = [query(i, "all") for i in range(len(qs))]
    out["rss_mb"] = round(_rss_mb() - rss0, 1)
    return out


def worker_catalog(a) -> dict:
    import numpy as np

    index = Path(a.index)
    qs = Queries(index)
    rss0 = _rss_mb()
    state = {"conn": _catalog_conn(index)}
    if a.mmap:
        state["conn"].execute(f"PRAGMA mmap_size={1 << 32}")

    def reopen():
        state["conn"].close()
        state["conn"] = _catalog_conn(index)
        if a.mmap:
            state["conn"].execute(f"PRAGMA mmap_size={1 << 32}")

    def exact(i, kind):
        conn = state["conn"]
        scope = qs.scope(i, kind)
        ids, blobs = [], []
        if scope is None:
            rows = conn.execute("SELECT chunk_id, vec FROM chunks")
        elif a.ranges:   # a document's chunks are consecutive rows: read each document's run of rowids
            rows = []
            for d, lo, hi in conn.execute(f"SELECT doc_id, min(rowid), max(rowid) FROM chunks WHERE doc_id IN "
                                          f"({_in(len(scope))}) GROUP BY doc_id", scope).fetchall():
                rows += conn.execute("SELECT chunk_id, vec FROM chunks WHERE rowid BETWEEN ? AND ? AND doc_id = ?",
                                     (lo, hi, d)).fetchall()
        else:
            rows = conn.execute(f"SELECT chunk_id, vec FROM chunks WHERE doc_id IN ({_in(len(scope))})", scope)
        for cid, blob in rows:
            ids.append(cid)
            blobs.append(blob)
        m = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), -1)
        return [ids[r] for r, _ in nearest(m, qs.vectors[i], N)]

    def fetch(i, kind):
        ids = qs.fetch_ids[i]
        rows = state["conn"].execute(f"SELECT chunk_id, vec FROM chunks WHERE chunk_id IN ({_in(len(ids))})", ids)
        return {c: np.frombuffer(b, dtype=np.float16).astype(np.float32) for c, b in rows}

    def page_chunks(i, kind):
        out = {}
        by_doc: dict = {}
        for d, p in qs.pages[i]:
            by_doc.setdefault(d, []).append(p)
        for d, nums in by_doc.items():
            q = ("SELECT c.chunk_id, c.page, c.vec, f.tokens FROM chunks c JOIN chunks_fts f ON f.rowid = c.rowid"
                 f" WHERE c.doc_id=? AND c.page IN ({_in(len(nums))}) ORDER BY c.ord")
            for cid, page, blob, toks in state["conn"].execute(q, [d, *nums]):
                out.setdefault((d, page), []).append(
                    (cid, np.frombuffer(blob, dtype=np.float16).astype(np.float32), toks.split()))
        return out

    files = [index / "catalog.sqlite", index / "catalog.sqlite-wal"]
    out = {}
    for kind in SCOPES:
        out[f"exact|{kind}"] = _time_path(exact, qs, kind, a.cold, files, reopen)
    if not (a.mmap or a.ranges):
        out.update(_in_memory(index, qs, state, reopen, files, a.cold))
    out["fetch60|all"] = _time_path(fetch, qs, "all", a.cold, files, reopen)
    out["pages30|all"] = _time_path(page_chunks, qs, "all", a.cold, files, reopen)
    out["ids_unscoped"] = [exact(i, "all") for i in range(min(len(qs), 40 if out["exact|all"]["n"] < len(qs) else len(qs)))]
    out["rss_mb"] = round(_rss_mb() - rss0, 1)
    return out


def _in_memory(index: Path, qs: Queries, state: dict, reopen, files: list[Path], cold: int) -> dict:
    """A small index's exact search without the snapshot's matrix: every vector read from the catalog
    once into a float32 matrix (timed warm and with the page cache evicted), then each question
    searched over it."""
    import numpy as np

    def load():
        rows = state["conn"].execute("SELECT chunk_id, doc_id, vec FROM chunks ORDER BY rowid").fetchall()
        m = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float16).reshape(len(rows), -1).astype(np.float32)
        rows_of: dict = {}
        for i, r in enumerate(rows):
            rows_of.setdefault(r[1], []).append(i)
        return [r[0] for r in rows], m, {d: np.asarray(v) for d, v in rows_of.items()}

    warm, cold_s = [], []
    for _ in range(3):
        t = time.perf_counter()
        ids, m, rows_of = load()
        warm.append(time.perf_counter() - t)
    for _ in range(min(cold, 3)):
        for p in files:
            evict(p)
        reopen()
        t = time.perf_counter()
        ids, m, rows_of = load()
        cold_s.append(time.perf_counter() - t)

    def search(i, kind):
        scope = qs.scope(i, kind)
        if scope is None:
            return [ids[r] for r, _ in nearest(m, qs.vectors[i], N)]
        rows = np.concatenate([rows_of[d] for d in scope if d in rows_of])
        return [ids[rows[r]] for r, _ in nearest(m[rows], qs.vectors[i], N)]

    out = {"memory_load": {"warm_s": round(statistics.median(warm), 3),
                           "cold_s": round(statistics.median(cold_s), 3) if cold_s else None,
                           "matrix_mb": round(m.nbytes / 2**20, 1)}}
    for kind in SCOPES:
        out[f"memory|{kind}"] = _time_path(search, qs, kind, 0, [])
    return out


def worker_snapshot(a) -> dict:
    import numpy as np

    index = Path(a.index)
    qs = Queries(index)
    snap = _snapshot_dir(index)
    if snap is None or not (snap / "vectors.npy").exists():
        return {"absent": True}
    rss0 = _rss_mb()
    conn = _catalog_conn(index)
    doc_ids = json.loads((snap / "docs.json").read_text())["doc_ids"]
    doc_index = {d: i for i, d in enumerate(doc_ids)}
    state = {}

    def reopen():
        state["vectors"] = np.load(snap / "vectors.npy", mmap_mode="r")
        state["rowids"] = np.load(snap / "rowids.npy", mmap_mode="r")
        state["doc_of"] = np.load(snap / "doc_of.npy", mmap_mode="r")

    reopen()

    def by_rowid(rowids):
        got = dict(conn.execute(f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({','.join(map(str, rowids))})"))
        return [got[r] for r in rowids if r in got]

    def exact(i, kind):
        scope = qs.scope(i, kind)
        vectors, rowids = state["vectors"], state["rowids"]
        if scope is None:
            hits = nearest(vectors, qs.vectors[i], N)
            return by_rowid([int(rowids[r]) for r, _ in hits])
        wanted = np.asarray([doc_index[d] for d in scope if d in doc_index], dtype=np.int32)
        rows = np.flatnonzero(np.isin(state["doc_of"], wanted))
        hits = nearest(vectors[rows], qs.vectors[i], N)
        return by_rowid([int(rowids[rows[r]]) for r, _ in hits])

    def fetch(i, kind):   # chunk id -> rowid (catalog), rowid -> row of the matrix (sorted rowids)
        ids = qs.fetch_ids[i]
        rid = dict(conn.execute(f"SELECT chunk_id, rowid FROM chunks WHERE chunk_id IN ({_in(len(ids))})", ids))
        want = np.asarray(list(rid.values()), dtype=np.int64)
        rows = np.searchsorted(state["rowids"], want)
        m = np.asarray(state["vectors"][rows], dtype=np.float32)
        return dict(zip(rid, m))

    files = [snap]
    out = {}
    for kind in SCOPES:
        out[f"exact|{kind}"] = _time_path(exact, qs, kind, a.cold, files + [index / "catalog.sqlite"], reopen)
    out["fetch60|all"] = _time_path(fetch, qs, "all", a.cold, files + [index / "catalog.sqlite"], reopen)
    out["ids_unscoped"] = [exact(i, "all") for i in range(len(qs))]
    out["rss_mb"] = round(_rss_mb() - rss0, 1)
    return out


def worker_keyword(a) -> dict:
    index = Path(a.index)
    qs = Queries(index)
    rss0 = _rss_mb()
    from rag.catalog import Catalog
    from rag.keyword_index import KeywordSnapshot

    state = {"conn": _catalog_conn(index), "catalog": Catalog(index / "catalog.sqlite")}
    snap_dir = _snapshot_dir(index)
    gen = int(snap_dir.name[6:]) if snap_dir else None

    def reopen():
        state["conn"].close()
        state["conn"] = _catalog_conn(index)
        state["catalog"].close()
        state["catalog"] = Catalog(index / "catalog.sqlite")
        state["snap"] = KeywordSnapshot.open(index / "keyword", gen) if gen is not None else None

    reopen()

    def match(tokens):
        uniq = list(dict.fromkeys(t for t in tokens if t))
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in uniq)

    def fts_exact(i, kind):
        m = match(qs.tokens[i])
        if not m:
            return []
        scope = qs.scope(i, kind)
        if scope is None:
            sql = ("SELECT c.chunk_id, f.s FROM (SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts"
                   " WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?) f JOIN chunks c ON c.rowid = f.rowid ORDER BY f.s")
            return state["conn"].execute(sql, (m, N)).fetchall()
        sql = ("SELECT c.chunk_id, bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid"
               f" WHERE chunks_fts MATCH ? AND c.doc_id IN ({_in(len(scope))}) ORDER BY s LIMIT ?")
        return state["conn"].execute(sql, [m, *scope, N]).fetchall()

    def fts_product(i, kind):
        return state["catalog"].keyword_search(qs.tokens[i], N, qs.scope(i, kind))

    def bm25s(i, kind):
        hits = state["snap"].search(qs.tokens[i], N, qs.scope(i, kind))
        return state["catalog"].chunk_ids_by_rowid([r for r, _ in hits])

    files = [index / "catalog.sqlite", index / "catalog.sqlite-wal"] + ([snap_dir] if snap_dir else [])
    out = {}
    for kind in SCOPES:
        out[f"fts5_exact|{kind}"] = _time_path(fts_exact, qs, kind, a.cold, files, reopen)
        out[f"fts5_catalog|{kind}"] = _time_path(fts_product, qs, kind, a.cold, files, reopen)
        if state["snap"] is not None:
            out[f"bm25s|{kind}"] = _time_path(bm25s, qs, kind, a.cold, files, reopen)
    # do the FTS5 answers and the snapshot's agree? (top 30 overlap, exact FTS5 as the reference)
    if state["snap"] is not None:
        agree = []
        for i in range(len(qs)):
            ref = [c for c, _ in fts_exact(i, "all")]
            got = bm25s(i, "all")
            got = [got[r] for r, _ in state["snap"].search(qs.tokens[i], N) if r in got]
            if ref:
                agree.append(len(set(ref) & set(got)) / len(ref))
        out["bm25s_vs_fts5_overlap30"] = round(sum(agree) / max(1, len(agree)), 4)
    # what a snapshot build costs (after each ingest or removal), and the matrix's part of it if it has one
    import tempfile

    import rag.keyword_index as ki

    spent = {"vectors": 0.0}
    real = getattr(ki, "_save_vectors", None)
    if real is not None:
        def timed(*args):
            t = time.perf_counter()
            try:
                return real(*args)
            finally:
                spent["vectors"] += time.perf_counter() - t
        ki._save_vectors = timed
    with tempfile.TemporaryDirectory(dir=index.parent) as tmp:
        t = time.perf_counter()
        ki.KeywordSnapshot.build(Catalog(index / "catalog.sqlite"), Path(tmp))
        out["build_s"] = round(time.perf_counter() - t, 2)
    out["build_vectors_s"] = round(spent["vectors"], 2) if real is not None else None
    out["rss_mb"] = round(_rss_mb() - rss0, 1)
    return out


WORKERS = {"prep": worker_prep, "chroma": worker_chroma, "catalog": worker_catalog, "snapshot": worker_snapshot,
           "keyword": worker_keyword}


def _run(kind: str, **kw) -> dict:
    from evals.bench import run_module_worker

    return run_module_worker("evals.bench_storage", kind, **kw)


# ---------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------

def disk(index: Path) -> dict:
    def du(p: Path) -> int:
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.exists() else 0

    conn = _catalog_conn(index)
    out = {"chroma_mb": du(index / "chroma") / 2**20,
           "catalog_mb": sum(f.stat().st_size for f in index.glob("catalog.sqlite*")) / 2**20}
    cols = {r[1] for r in conn.execute("PRAGMA table_info(chunks)")}
    if "vec" in cols:
        out["catalog_vec_mb"] = (conn.execute("SELECT sum(length(vec)) FROM chunks").fetchone()[0] or 0) / 2**20
    try:
        stat = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        out["catalog_fts5_mb"] = sum(v for k, v in stat.items() if k.startswith("chunks_fts")) / 2**20
        out["catalog_chunks_table_mb"] = stat.get("chunks", 0) / 2**20
    except sqlite3.DatabaseError:
        pass
    snap = _snapshot_dir(index)
    if snap is not None:
        vec = snap / "vectors.npy"
        out["snapshot_vectors_mb"] = vec.stat().st_size / 2**20 if vec.exists() else 0.0
        out["snapshot_bm25_mb"] = du(snap) / 2**20 - out["snapshot_vectors_mb"]
    conn.close()
    return {k: round(v, 1) for k, v in out.items()}


def recall(reference: list[list[str]], got: list[list[str]]) -> float | None:
    pairs = [(set(r), set(g)) for r, g in zip(reference, got) if r]
    return round(sum(len(r & g) / len(r) for r, g in pairs) / len(pairs), 4) if pairs else None


def bench_size(size: int, args, log) -> dict:
    from evals.bench import _run_worker, build_corpus

    work = Path(args.work)
    corpus = work / f"corpus-{size}"
    info = build_corpus(size, corpus, pdf_sources=not args.no_pdf_sources)
    index = work / f"storage-{size}"
    stand_in = size > args.stand_in_above
    stamp = index / "ingest.json"
    if args.rebuild or not stamp.exists():
        log(f"[{size}] ingest{' (stand-in vectors)' if stand_in else ''} into {index} ...")
        ing = _run_worker("ingest", system="ours", corpus=corpus, index=index, stand_in=stand_in)
        stamp.write_text(json.dumps(ing))
    ing = json.loads(stamp.read_text())
    if args.build_only:
        return {"size": size, "built": str(index), "chunks": ing["chunks"]}
    log(f"[{size}] {ing['chunks']} chunks; questions ...")
    prep = _run("prep", index=index, work=work, size_key=str(size), questions=args.questions, stand_in=stand_in)
    res = {"size": size, "stand_in": stand_in, "corpus": info, "ingest_wall_s": ing["wall_s"], **prep,
           "disk": disk(index), "loadavg_start": os.getloadavg()}
    for fam in ("catalog", "snapshot", "keyword", "chroma"):
        log(f"[{size}] {fam} ...")
        res[fam] = _run(fam, index=index, cold=args.cold)
    log(f"[{size}] catalog with PRAGMA mmap_size ...")
    res["catalog_mmap"] = _run("catalog", index=index, cold=args.cold, mmap=True)
    log(f"[{size}] catalog with mmap, read by rowid ranges ...")
    res["catalog_ranges"] = _run("catalog", index=index, cold=args.cold, mmap=True, ranges=True)
    firsts = []
    for _ in range(3):
        evict(index)
        firsts.append(_run("chroma", index=index, first_only=True))
    res["chroma_first"] = {k: statistics.median(f[k] for f in firsts) for k in firsts[0]}
    ref = res["snapshot"].get("ids_unscoped") or res["catalog"]["ids_unscoped"]
    res["hnsw_recall30"] = recall(ref, res["chroma"]["ids_unscoped"])
    res["catalog_vs_snapshot_recall30"] = (recall(res["snapshot"]["ids_unscoped"], res["catalog"]["ids_unscoped"])
                                           if "ids_unscoped" in res["snapshot"] else None)
    for fam in ("catalog", "catalog_mmap", "catalog_ranges", "snapshot", "chroma"):
        res[fam].pop("ids_unscoped", None)
    res["loadavg_end"] = os.getloadavg()
    return res


def _cell(d: dict | None, cold: bool = False) -> str:
    if not d:
        return "—"
    if "error" in d:
        return "fails: " + d["error"].split(": ")[-1]
    s = f"{d['p50_ms']:.1f} / {d['p95_ms']:.1f}"
    if d["n"] < 200:
        s += f" (n={d['n']})"
    if cold and "cold_p50_ms" in d:
        s += f"; cold {d['cold_p50_ms']:.0f} / {d['cold_p95_ms']:.0f}"
    return s


def markdown(res: dict) -> str:
    from evals.bench import machine

    m = res["machine"]
    out = [BEGIN, "## Storage: where vectors and keyword postings are read from (`evals/bench_storage.py`)", "",
           f"Generated by `python -m evals.bench_storage --sizes {res['args']['sizes']} --questions "
           f"{res['args']['questions']} --cold {res['args']['cold']}` on {res['started']} – {res.get('finished', '…')}, "
           f"commit {m['commit']}; {m['cores']} cores, shared; load average at start "
           f"{', '.join(f'{x:.1f}' for x in m['loadavg_start'])}"
           + (f", at end {', '.join(f'{x:.1f}' for x in m['loadavg_end'])}" if m.get("loadavg_end") else "") + ".",
           "", "Milliseconds, p50 / p95 over the questions (warm); 'cold' = p50 / p95 with the index's files evicted "
           "from the page cache before each question (connections and maps reopened). Top 30 each. Scopes are drawn "
           "at random per question from the synthetic corpus's documents (~50 chunks each).", ""]
    for r in res["sizes"]:
        d = r["disk"]
        out += [f"### {r['chunks']:,} chunks ({r['documents']:,} documents{', stand-in vectors' if r['stand_in'] else ''})",
                "", "| dense path | unscoped | 1 document | 5 documents | 10% of documents |", "|---|---:|---:|---:|---:|"]
        ch, ca, cm, sn = r["chroma"], r["catalog"], r["catalog_mmap"], r["snapshot"]
        cr = r.get("catalog_ranges", {})
        out.append("| Chroma HNSW, `where` filter when scoped | " +
                   " | ".join(_cell(ch.get(f"query|{k}"), True) for k in SCOPES) + " |")
        out.append("| Chroma unfiltered, over-fetch then filter | " + _cell(ch.get("query|all")) + " | " +
                   " | ".join(_cell(ch.get(f"overfetch|{k}"), True) for k in SCOPES[1:]) + " |")
        out.append("| Chroma `get(where)` + exact in numpy | — | " +
                   " | ".join(_cell(ch.get(f"get_exact|{k}"), True) for k in SCOPES[1:]) + " |")
        out.append("| catalog float16 blobs, exact | " + " | ".join(_cell(ca.get(f"exact|{k}"), True) for k in SCOPES) + " |")
        out.append("| catalog float16 blobs, exact, SQLite mmap | " +
                   " | ".join(_cell(cm.get(f"exact|{k}"), True) for k in SCOPES) + " |")
        if "memory|all" in ca:
            ml = ca["memory_load"]
            out.append(f"| catalog's vectors read once into memory (float32), exact: the read | {ml['warm_s'] * 1000:.0f} "
                       f"warm, {(ml['cold_s'] or 0) * 1000:.0f} cold ({ml['matrix_mb']:,.0f} MB) | | | |")
            out.append("| … then each question over them | " +
                       " | ".join(_cell(ca.get(f"memory|{k}")) for k in SCOPES) + " |")
        if cr:
            out.append("| catalog float16 blobs, exact, SQLite mmap, each document's run of rowids | " +
                       " | ".join(_cell(cr.get(f"exact|{k}"), True) for k in SCOPES) + " |")
        if not sn.get("absent"):
            out.append("| snapshot float16 matrix (mmap), exact | " +
                       " | ".join(_cell(sn.get(f"exact|{k}"), True) for k in SCOPES) + " |")
        kw = r["keyword"]
        out += ["", "| keyword path | unscoped | 1 document | 5 documents | 10% of documents |", "|---|---:|---:|---:|---:|",
                "| FTS5, exact bm25 | " + " | ".join(_cell(kw.get(f"fts5_exact|{k}"), True) for k in SCOPES) + " |",
                "| FTS5 as `Catalog.keyword_search` answers | " +
                " | ".join(_cell(kw.get(f"fts5_catalog|{k}"), True) for k in SCOPES) + " |"]
        if "bm25s|all" in kw:
            out.append("| bm25s snapshot (mmap) | " + " | ".join(_cell(kw.get(f"bm25s|{k}"), True) for k in SCOPES) + " |")
        out += ["", "| other reads per question | catalog | catalog, SQLite mmap | snapshot | Chroma `get(ids)` |",
                "|---|---:|---:|---:|---:|",
                f"| vectors of 60 chunks by id | {_cell(ca.get('fetch60|all'), True)} | {_cell(cm.get('fetch60|all'), True)} | "
                f"{_cell(sn.get('fetch60|all'), True) if not sn.get('absent') else '—'} | {_cell(ch.get('fetch60|all'), True)} |",
                f"| every chunk of 30 pages (vector + tokens) | {_cell(ca.get('pages30|all'), True)} | "
                f"{_cell(cm.get('pages30|all'), True)} | — | — |", ""]
        cf = r["chroma_first"]
        out += ["| copy | on disk (MB) | resident after the searches (MB) | other |", "|---|---:|---:|---|",
                f"| Chroma (HNSW + its SQLite) | {d.get('chroma_mb', 0):,.1f} | {ch.get('rss_mb', 0):,.0f} | fresh process, "
                f"files evicted: open {cf['open_s']:.2f} s, first query {cf['first_query_s']:.2f} s; HNSW recall@30 vs "
                f"exact {r['hnsw_recall30']} |",
                f"| catalog float16 column | {d.get('catalog_vec_mb', 0):,.1f} (catalog {d.get('catalog_mb', 0):,.1f}) | "
                f"{ca.get('rss_mb', 0):,.0f} | |"]
        if not sn.get("absent"):
            out.append(f"| snapshot float16 matrix | {d.get('snapshot_vectors_mb', 0):,.1f} | {sn.get('rss_mb', 0):,.0f} | "
                       f"written at every snapshot build: {sn.get('build_vectors_s', kw.get('build_vectors_s'))} s of "
                       f"{sn.get('build_s', kw.get('build_s'))} s |")
        out.append(f"| FTS5 (catalog tables) | {d.get('catalog_fts5_mb', 0):,.1f} | {kw.get('rss_mb', 0):,.0f} (both keyword paths) | |")
        if "snapshot_bm25_mb" in d:
            out.append(f"| bm25s snapshot (BM25 arrays) | {d['snapshot_bm25_mb']:,.1f} | | top-30 overlap with exact FTS5: "
                       f"{kw.get('bm25s_vs_fts5_overlap30')}; built in {sn.get('build_s', kw.get('build_s'))} s |")
        out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def write_md(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench_storage", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--questions", type=int, default=220)
    p.add_argument("--cold", type=int, default=40, help="questions per path with the page cache evicted (0: none)")
    p.add_argument("--stand-in-above", type=int, default=10000)
    p.add_argument("--no-pdf-sources", action="store_true")
    p.add_argument("--work", default=str(REPO / ".bench"))
    p.add_argument("--rebuild", action="store_true", help="re-ingest the indexes kept under WORK")
    p.add_argument("--build-only", action="store_true", help="only build (or keep) the indexes")
    p.add_argument("--json", default=None)
    p.add_argument("--md", default=None, help="replace this file's bench_storage section (e.g. evals/BENCHMARKS.md)")
    p.add_argument("--from-json", metavar="PATH", help="only re-render --md from an earlier --json")
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--index", help=argparse.SUPPRESS)
    p.add_argument("--size-key", help=argparse.SUPPRESS)
    p.add_argument("--stand-in", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--first-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mmap", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ranges", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args), default=float))
        return 0
    if args.from_json:
        write_md(Path(args.md), markdown(json.loads(Path(args.from_json).read_text())))
        return 0
    from evals.bench import machine

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    res = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "sizes": [],
           "args": {"sizes": args.sizes, "questions": args.questions, "cold": args.cold}}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        res["sizes"].append(bench_size(size, args, log))
        if args.build_only:
            continue
        if args.json:
            Path(args.json).write_text(json.dumps(res, ensure_ascii=False, indent=1))
    if args.build_only:
        return 0
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    if args.json:
        Path(args.json).write_text(json.dumps(res, ensure_ascii=False, indent=1))
    if args.md:
        write_md(Path(args.md), markdown(res))
    else:
        print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
