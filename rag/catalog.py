"""The catalog: SQLite file that is the index's source of truth.

It holds documents, their cleaned page text (for verbatim citations and the
source viewer), chunk text and offsets, and the keyword index (FTS5 over
jieba/word tokens). A document becomes visible in ONE transaction here, after
its vectors are already in Chroma; vectors whose document version is not
committed are invisible to queries and are deleted later (see ``garbage``).
That ordering is what makes ingest crash-safe: a kill at any point leaves each
document either fully searchable (old or new version) or absent.

Each chunk's row also keeps its unit vector as float16 (``vec``, 1 KB at 512 dimensions): the
one copy of the vectors besides Chroma, committed with the chunk, so it is never behind. It is
what retrieval reads when it needs vectors other than Chroma's nearest neighbours: a small
scope searched exactly (at 100k chunks, p50/p95: one document 0.1/0.2 ms, five 5.1/11.1 ms,
against 95/130 and 56/85 ms through Chroma's `where` filter), the vectors of candidate chunks by
id (60 chunks: 2.9/7.5 ms) and of whole pages for the page ranker, and the whole of a small index
(rag/store.py, which reads it into memory once); none of those needs a Chroma client. A second
copy as one memory-mapped float16 matrix beside the keyword snapshot was measured and removed: it
was faster only for scopes of thousands of chunks (10% of 100k: 24/34 against 80/108 ms here),
where Chroma over-fetching is as fast (16.6/31.5 ms), and for a small index searched whole on
every question (10k: 9.8/13.2 ms, against 48/74 ms reading the blobs each time, which the
in-memory read avoids); it was slower for small scopes (one document 1.4/4.4, cold 10/15 ms
against 0.1/0.2, cold 2/3 ms), and it lagged the catalog until rebuilt (evals/BENCHMARKS.md,
"Storage"). (Just over 500 lines: one SQLite schema and every query on it, kept together so
that a change to a table is seen with all that reads it.)
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents(
    doc_id TEXT PRIMARY KEY, version TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT,
    format TEXT, pages INTEGER, chunks INTEGER, added_at TEXT, updated_at TEXT, meta TEXT);
CREATE TABLE IF NOT EXISTS pages(doc_id TEXT, page INTEGER, text TEXT, PRIMARY KEY(doc_id, page));
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL,
    page INTEGER, start INTEGER, end INTEGER, ord INTEGER, text TEXT, context TEXT, vec BLOB);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(tokens, tokenize="unicode61 tokenchars '-%.'");
CREATE TABLE IF NOT EXISTS garbage(doc_id TEXT, version TEXT, PRIMARY KEY(doc_id, version));
CREATE TABLE IF NOT EXISTS sentence_vectors(chunk_id TEXT PRIMARY KEY, n INTEGER NOT NULL, vecs BLOB NOT NULL);
"""


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Creating the file, switching it to WAL and creating the schema must not race with
        # another process doing the same: SQLite answers "database is locked" at once to a
        # journal-mode switch under contention, without waiting. One opener at a time per index.
        from filelock import FileLock   # (a portable lock: fcntl does not exist on Windows)

        with FileLock(self.path.parent / "catalog-open.lock"):
            self._create_schema()

    def _create_schema(self) -> None:
        with self._conn() as c:
            c.executescript(_SCHEMA)
            c.execute("INSERT OR IGNORE INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
            # indexes made before chunks had a table-header context: add the column (NULL = none)
            # and before chunks kept their vector (NULL = search that document through Chroma only)
            columns = {r[1] for r in c.execute("PRAGMA table_info(chunks)")}
            for name, decl in (("context", "TEXT"), ("vec", "BLOB")):
                if name not in columns:
                    try:
                        c.execute(f"ALTER TABLE chunks ADD COLUMN {name} {decl}")
                    except sqlite3.OperationalError:  # another process added it first
                        pass

    def _conn(self) -> sqlite3.Connection:
        # one connection per thread: the UI queries from worker threads
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            # the journal-mode pragma does not wait on SQLite's busy timeout: retry it briefly
            for attempt in range(100):
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) or attempt == 99:
                        raise
                    time.sleep(0.1)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- meta ------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._conn().execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    def setdefault_meta(self, key: str, value: str) -> str:
        """Record ``value`` unless ``key`` is already set (atomically); return what is recorded."""
        conn = self._conn()
        conn.execute("INSERT OR IGNORE INTO meta VALUES(?, ?)", (key, value))
        return conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0]

    # -- documents ---------------------------------------------------------------
    def documents(self) -> list[dict]:
        # Every question scopes itself against all documents, so this runs on each ask; at 2,000
        # documents parsing the rows' JSON took ~60 ms. The parsed rows are kept per connection and
        # reused while nothing changed: PRAGMA data_version moves when another connection (thread or
        # process) commits, total_changes when this one writes. Callers get their own copies.
        conn = self._conn()
        key = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        cached = getattr(self._local, "documents", None)
        if cached is None or cached[0] != key or cached[2] is not conn:
            rows = conn.execute("SELECT * FROM documents ORDER BY added_at, doc_id").fetchall()
            cached = (key, [_doc(r) for r in rows], conn)
            self._local.documents = cached
        return [_copy_doc(d) for d in cached[1]]

    def derived(self, name: str, build):
        """``build(documents)``, computed once per catalog state and shared (treat it as read-only).

        For what every question needs from all documents (the scoping index): copying and
        re-deriving them per ask cost ~50 ms at 2,000 documents."""
        conn = self._conn()
        key = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes, id(conn))
        store = getattr(self._local, "derived", None)
        if store is None:
            store = self._local.derived = {}
        hit = store.get(name)
        if hit is None or hit[0] != key:
            hit = store[name] = (key, build(self.documents()))
        return hit[1]

    def document(self, doc_id: str) -> dict | None:
        row = self._conn().execute("SELECT * FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return _doc(row) if row else None

    def document_by_sha(self, sha256: str) -> dict | None:
        row = self._conn().execute("SELECT * FROM documents WHERE sha256=?", (sha256,)).fetchone()
        return _doc(row) if row else None

    def count_chunks(self) -> int:
        # from the cached document rows: count(*) over chunks reads the whole table (3.5 s at 100k chunks
        # with a cold page cache, on every first question)
        return sum(self.chunk_counts().values())

    def page_text(self, doc_id: str, page: int | None) -> str | None:
        row = self._conn().execute("SELECT text FROM pages WHERE doc_id=? AND page=?",
                                   (doc_id, page or 0)).fetchone()
        return row[0] if row else None

    def update_meta(self, doc_id: str, changes: dict) -> dict:
        conn = self._conn()
        doc = self.document(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        meta = dict(doc["meta"])
        meta.update(changes)
        conn.execute("UPDATE documents SET meta=? WHERE doc_id=?", (json.dumps(meta, ensure_ascii=False), doc_id))
        return self.document(doc_id)

    # -- the commit point -----------------------------------------------------
    def mark_pending(self, doc_id: str, version: str) -> None:
        """Before vectors of a new version are written: they are garbage until committed."""
        self._conn().execute("INSERT OR IGNORE INTO garbage VALUES(?, ?)", (doc_id, version))

    def commit_document(self, record: dict, pages: list[tuple[int | None, str]],
                        chunks: list[dict]) -> str | None:
        """Make a document version visible atomically; returns the replaced version, if any."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            old = conn.execute("SELECT version FROM documents WHERE doc_id=?", (record["doc_id"],)).fetchone()
            old_version = old[0] if old else None
            self._delete_rows(conn, record["doc_id"])
            conn.execute(
                "INSERT INTO documents(doc_id, version, sha256, source, format, pages, chunks, added_at, updated_at, meta)"
                " VALUES(:doc_id, :version, :sha256, :source, :format, :pages, :chunks, :added_at, :updated_at, :meta)",
                {**record, "meta": json.dumps(record["meta"], ensure_ascii=False)})
            conn.executemany("INSERT INTO pages VALUES(?, ?, ?)",
                             [(record["doc_id"], n or 0, t) for n, t in pages])
            for ch in chunks:
                vec = ch.get("vector")
                cur = conn.execute(
                    "INSERT INTO chunks(chunk_id, doc_id, page, start, end, ord, text, context, vec)"
                    " VALUES(?,?,?,?,?,?,?,?,?)",
                    (ch["chunk_id"], record["doc_id"], ch["page"] or 0, ch["start"], ch["end"], ch["ord"], ch["text"],
                     ch.get("context") or None, None if vec is None else _pack_vector(vec)))
                conn.execute("INSERT INTO chunks_fts(rowid, tokens) VALUES(?, ?)", (cur.lastrowid, ch["tokens"]))
                svecs = ch.get("sentence_vectors")
                if svecs is not None and len(svecs):
                    conn.execute("INSERT OR REPLACE INTO sentence_vectors VALUES(?, ?, ?)",
                                 (ch["chunk_id"], len(svecs), _pack_vectors(svecs)))
            conn.execute("DELETE FROM garbage WHERE doc_id=? AND version=?", (record["doc_id"], record["version"]))
            self._bump_keyword_generation(conn)
            if old_version and old_version != record["version"]:
                conn.execute("INSERT OR IGNORE INTO garbage VALUES(?, ?)", (record["doc_id"], old_version))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return old_version

    def remove_document(self, doc_id: str) -> bool:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT version FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
            if row:
                self._delete_rows(conn, doc_id)
                conn.execute("INSERT OR IGNORE INTO garbage VALUES(?, ?)", (doc_id, row[0]))
                self._bump_keyword_generation(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return row is not None

    @staticmethod
    def _bump_keyword_generation(conn: sqlite3.Connection) -> None:
        # inside the commit's transaction: a keyword snapshot of generation g holds exactly the rows
        # committed when g was current (see keyword_index.py)
        conn.execute("INSERT INTO meta VALUES('keyword_generation', '1') ON CONFLICT(key) DO UPDATE"
                     " SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")

    def keyword_generation(self) -> int:
        row = self._conn().execute("SELECT value FROM meta WHERE key='keyword_generation'").fetchone()
        return int(row[0]) if row else 0

    def keyword_rows(self) -> tuple[int, list[tuple[int, str, str]]]:
        """(generation, [(rowid, keyword tokens, doc_id)]) read in one transaction, for a snapshot."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            generation = self.keyword_generation()
            rows = conn.execute("SELECT f.rowid, f.tokens, c.doc_id FROM chunks_fts f JOIN chunks c"
                                " ON c.rowid = f.rowid ORDER BY f.rowid").fetchall()
        finally:
            conn.execute("COMMIT")
        return generation, [tuple(r) for r in rows]

    def chunk_counts(self) -> dict[str, int]:
        """Chunks per document, from the cached document rows."""
        return self.derived("chunk_counts", lambda docs: {d["doc_id"]: d["chunks"] or 0 for d in docs})

    def chunk_vectors(self, doc_ids: list[str]) -> dict[str, tuple[list[str], "np.ndarray"]] | None:
        """{doc_id: (chunk ids, their unit vectors as float16 rows)} of these documents (a document with
        no chunks is absent); None if some chunk lacks a stored vector."""
        import numpy as np

        conn = self._conn()
        read: dict[str, tuple[list[str], list[bytes]]] = {}
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i : i + 500]
            for doc_id, cid, blob in conn.execute(f"SELECT doc_id, chunk_id, vec FROM chunks WHERE doc_id IN "
                                                  f"({','.join('?' * len(part))}) ORDER BY rowid", part):
                if blob is None:
                    return None
                ids, blobs = read.setdefault(doc_id, ([], []))
                ids.append(cid)
                blobs.append(blob)
        return {d: (ids, np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1))
                for d, (ids, blobs) in read.items()}

    def all_chunk_vectors(self) -> tuple[int, tuple[list[str], list[str], "np.ndarray"] | None]:
        """(keyword generation, (chunk ids, their doc ids, unit vectors as float32 rows)) of every chunk,
        read in one transaction; None in place of the triple if some chunk lacks a stored vector."""
        import numpy as np

        conn = self._conn()
        conn.execute("BEGIN")
        try:
            generation = self.keyword_generation()
            n, dim = conn.execute("SELECT COUNT(*), MAX(LENGTH(vec)) / 2 FROM chunks").fetchone()
            # filled row by row: no list of blobs beside the matrix (that doubled the memory the read takes)
            matrix = np.empty((n, dim or 0), dtype=np.float32)
            ids, docs = [], []
            for i, (cid, doc_id, blob) in enumerate(conn.execute("SELECT chunk_id, doc_id, vec FROM chunks ORDER BY rowid")):
                if blob is None or len(blob) != 2 * dim:
                    return generation, None
                matrix[i] = np.frombuffer(blob, dtype=np.float16)
                ids.append(cid)
                docs.append(doc_id)
        finally:
            conn.execute("COMMIT")
        return generation, (ids, docs, matrix)

    def pages_titled(self, doc_ids: list[str], phrases: list[str], per_doc: int = 12) -> list[str]:
        """The first chunk of each page (of these documents) whose context names one of ``phrases``
        (case-insensitive substrings): the pages of a statement, found by their titles."""
        if not doc_ids or not phrases:
            return []
        like = " OR ".join("context LIKE ?" for _ in phrases)
        out = []
        for doc_id in doc_ids:
            q = (f"SELECT chunk_id, page FROM chunks WHERE doc_id=? AND ({like}) ORDER BY ord")
            pages: dict = {}
            # (a title's words may be split over lines, "STATEMENTS OF\nOPERATIONS": LIKE's "_" is any one character)
            for cid, page in self._conn().execute(q, [doc_id, *(f"%{p.replace(' ', '_')}%" for p in phrases)]):
                if page not in pages:
                    pages[page] = cid
                    if len(pages) >= per_doc:
                        break
            out += pages.values()
        return out

    def page_chunks(self, pages: list[tuple[str, int | None]]) -> dict[tuple[str, int | None], list[tuple]]:
        """Every chunk of these pages as (chunk id, stored unit vector or None, indexed keyword tokens)."""
        import numpy as np

        out: dict[tuple, list[tuple]] = {}
        conn = self._conn()
        by_doc: dict[str, list] = {}
        for doc_id, page in pages:
            by_doc.setdefault(doc_id, []).append(page)
        for doc_id, nums in by_doc.items():
            nums = [n for n in dict.fromkeys(nums) if n is not None]
            if not nums:
                continue
            q = ("SELECT c.chunk_id, c.page, c.vec, f.tokens FROM chunks c JOIN chunks_fts f ON f.rowid = c.rowid"
                 f" WHERE c.doc_id=? AND c.page IN ({','.join('?' * len(nums))}) ORDER BY c.ord")
            rows = conn.execute(q, [doc_id, *nums]).fetchall()
            blobs = [r[2] for r in rows if r[2] is not None]
            # one conversion for the document's rows, not one per chunk
            vecs = iter(_matrix(blobs) if blobs and len({len(b) for b in blobs}) == 1
                        else [np.frombuffer(b, dtype=np.float16).astype(np.float32) for b in blobs])
            for cid, page, blob, toks in rows:
                out.setdefault((doc_id, page), []).append((cid, next(vecs) if blob is not None else None, toks.split()))
        return out

    def document_frequencies(self, terms: list[str]) -> tuple[int, dict[str, int]]:
        """(rows in the keyword index, how many rows hold each term): for idf weights."""
        return self._term_stats(list(dict.fromkeys(terms)))

    def vectors_of(self, chunk_ids: list[str]) -> dict[str, "np.ndarray"]:
        """Stored unit vectors (float32) of these chunks; a chunk without one is left out."""
        import numpy as np

        out = {}
        conn = self._conn()
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            for cid, blob in conn.execute(f"SELECT chunk_id, vec FROM chunks WHERE chunk_id IN "
                                          f"({','.join('?' * len(part))})", part):
                if blob is not None:
                    out[cid] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return out

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, "np.ndarray"]:
        """Stored vectors of these chunks' sentences (float32 rows, in split order); a chunk without any is left out."""
        import numpy as np

        if not chunk_ids:
            return {}
        out = {}
        q = f"SELECT chunk_id, n, vecs FROM sentence_vectors WHERE chunk_id IN ({','.join('?' * len(chunk_ids))})"
        for cid, n, blob in self._conn().execute(q, list(chunk_ids)):
            out[cid] = np.frombuffer(blob, dtype=np.float16).reshape(n, -1).astype(np.float32)
        return out

    def chunk_ids_on_page(self, doc_ids: list[str], page: int) -> list[str]:
        """The chunks of page ``page`` of these documents, in document order."""
        if not doc_ids:
            return []
        q = (f"SELECT chunk_id FROM chunks WHERE page=? AND doc_id IN ({','.join('?' * len(doc_ids))})"
             " ORDER BY doc_id, ord")
        return [r[0] for r in self._conn().execute(q, [page, *doc_ids])]

    def documents_of(self, chunk_ids: list[str]) -> dict[str, str]:
        """{chunk id: its document} of these chunks that the catalog holds (committed ones)."""
        out: dict[str, str] = {}
        conn = self._conn()
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            out.update(conn.execute(f"SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN "
                                    f"({','.join('?' * len(part))})", part).fetchall())
        return out

    def chunk_ids_by_rowid(self, rowids: list[int]) -> dict[int, str]:
        if not rowids:
            return {}
        q = f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({','.join(map(str, map(int, rowids)))})"
        return dict(self._conn().execute(q).fetchall())

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_id=?)", (doc_id,))
        conn.execute("DELETE FROM sentence_vectors WHERE chunk_id IN (SELECT chunk_id FROM chunks WHERE doc_id=?)",
                     (doc_id,))
        conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        conn.execute("DELETE FROM pages WHERE doc_id=?", (doc_id,))
        conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def garbage(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self._conn().execute("SELECT doc_id, version FROM garbage").fetchall()]

    def forget_garbage(self, doc_id: str, version: str) -> None:
        self._conn().execute("DELETE FROM garbage WHERE doc_id=? AND version=?", (doc_id, version))

    # -- reads for retrieval ---------------------------------------------------
    def chunks_by_ids(self, chunk_ids: list[str]) -> dict[str, dict]:
        if not chunk_ids:
            return {}
        out = {}
        conn = self._conn()
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            q = ("SELECT rowid, chunk_id, doc_id, page, start, end, ord, text, context FROM chunks"
                 f" WHERE chunk_id IN ({','.join('?' * len(part))})")
            for r in conn.execute(q, part):
                out[r["chunk_id"]] = dict(r)
        return out

    def keyword_search(self, query_tokens: list[str], limit: int,
                       doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """BM25 over the FTS5 index; returns (chunk_id, score) best first (score higher = better).

        The index of record, and what answers while the keyword snapshot (rag/keyword_index.py) is
        behind the catalog; it ranks as the snapshot does. At 100k chunks it takes 22/59 ms
        (p50/p95) unscoped and ~28/63-77 ms scoped, the snapshot 2.1/4.6 and under 1 ms."""
        uniq = list(dict.fromkeys(t for t in query_tokens if t))
        if not uniq or limit <= 0:
            return []
        match = _match(uniq)
        if doc_ids is None:
            # rank inside FTS5 and join only the top rows (not every match) to chunks
            sql = ("SELECT c.chunk_id, f.s FROM (SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts"
                   " WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?) f JOIN chunks c ON c.rowid = f.rowid ORDER BY f.s")
            return [(r[0], -r[1]) for r in self._conn().execute(sql, (match, limit))]
        if not doc_ids:
            return []
        sql = ("SELECT c.chunk_id, bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid"
               f" WHERE chunks_fts MATCH ? AND c.doc_id IN ({','.join('?' * len(doc_ids))}) ORDER BY s LIMIT ?")
        return [(r[0], -r[1]) for r in self._conn().execute(sql, [match, *doc_ids, limit])]

    def has_terms(self, query_tokens: list[str], phrase: bool = True) -> bool:
        """Whether any chunk holds these keyword tokens: in this order (``phrase``), or all of them."""
        toks = [t for t in query_tokens if t]
        if not toks:
            return False
        quoted = ['"' + t.replace('"', '""') + '"' for t in toks]
        match = ('"' + " ".join(t.replace('"', '""') for t in toks) + '"') if phrase else " AND ".join(quoted)
        try:
            return self._conn().execute("SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1",
                                        (match,)).fetchone() is not None
        except sqlite3.OperationalError:
            return False

    # -- document frequencies (the page ranker's idf) ----------------------------------
    def _term_stats(self, terms: list[str]) -> tuple[int, dict[str, int]]:
        """(rows in the keyword index, document frequency of each term), cached while the catalog is unchanged."""
        conn = self._conn()
        key = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        cache = getattr(self._local, "term_stats", None)
        if cache is None or cache[0] != key or cache[3] is not conn:
            conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_vocab USING fts5vocab(main, 'chunks_fts', 'row')")
            n = conn.execute("SELECT count(*) FROM chunks_fts_docsize").fetchone()[0]
            cache = (key, n, {}, conn)
            self._local.term_stats = cache
        _, n, df, _ = cache
        missing = [t for t in terms if t not in df]
        if missing:
            if len(df) > 50_000:
                df.clear()
            for t in missing:
                df[t] = 0
            for i in range(0, len(missing), 500):
                part = missing[i : i + 500]
                for term, d in conn.execute(f"SELECT term, doc FROM temp.chunks_fts_vocab WHERE term IN "
                                            f"({','.join('?' * len(part))})", part):
                    df[term] = d
        return n, {t: df[t] for t in terms}


def _match(terms: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _copy_doc(d: dict) -> dict:
    """A copy deep enough that a caller changing it (meta values, their lists/dicts) leaves the cache intact."""
    meta = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
            for k, v in d["meta"].items()}
    for k, v in meta.items():
        if isinstance(v, dict):
            meta[k] = {kk: (list(vv) if isinstance(vv, list) else vv) for kk, vv in v.items()}
    return {**d, "meta": meta}


def _matrix(blobs: list[bytes]):
    """float16 vector blobs (one per chunk) as float32 rows."""
    import numpy as np

    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1).astype(np.float32)


def _pack_vector(vec) -> bytes:
    """A unit vector as float16 (1 KB at 512 dims): exact search inside a scope needs no more precision."""
    return _pack_vectors([vec])


def _pack_vectors(rows) -> bytes:
    """Unit vectors as float16 rows (a zero vector stays zero)."""
    import numpy as np

    m = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return (m / np.maximum(norms, 1e-12)).astype(np.float16).tobytes()


def _doc(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["meta"] = json.loads(d["meta"] or "{}")
    return d
