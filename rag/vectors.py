"""Dense vectors in Chroma: embedded PersistentClient by default, HttpClient for a server.

Chroma only ever receives vectors we computed: collections are created with
``embedding_function=None`` so Chroma can never fall back to its own default
model (which would try to download weights). The collection records the
embedder id; opening it with a different embedder is refused.

Embedded mode and other processes: a PersistentClient keeps its own view of the
collection, and Chroma does not notice writes made by another process (a
``rag ingest`` next to a running UI, or a killed one). Reads through such a
stale view miss the new vectors (tests/reliability/test_concurrency.py shows it). So
the store can be reopened (``reopen``: a fresh client, as a new process would get),
which IndexStore does when the catalog says another process wrote vectors.

Opening a new on-disk store is serialised by a file lock (processes opening one fresh
index at once race in Chroma's schema set-up; a test shows it). A retry of reads that
failed on a stale view ("Error finding id") used to sit here too; it is gone because no
test could show it needed (2026-12-02, chromadb as pinned: searches through Chroma during
another process's ingest, repeated, never failed without it). That test stays, so the
retry comes back with a test if a Chroma version needs it.
"""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse


class VectorStoreError(RuntimeError):
    pass


def _unreachable(exc: BaseException) -> bool:
    """Is ``exc`` a transport failure (refused, reset, timed out), not an answer from Chroma?"""
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - httpx comes with chromadb
        pass
    return isinstance(exc, (ConnectionError, TimeoutError))


def _server_call(method):
    """In server mode, turn transport failures into one clear VectorStoreError."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.url:
            return method(self, *args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except VectorStoreError:
            raise
        except Exception as e:
            if _unreachable(e):
                raise VectorStoreError(
                    f"cannot reach Chroma server at {self.url} ({type(e).__name__}: {str(e) or 'no response'}); "
                    f"is `chroma run` up? retry when it is") from None
            raise VectorStoreError(f"Chroma server at {self.url} failed: {type(e).__name__}: {e}") from None

    return wrapper


class EmbedderMismatch(VectorStoreError):
    pass


def _client(index_dir: Path, chroma_url: str | None, timeout: float):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        u = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        try:
            client = chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                         ssl=u.scheme == "https", settings=settings)
        except Exception as e:  # connection refused etc. surfaces here
            raise VectorStoreError(f"cannot reach Chroma server at {chroma_url}: {e}") from None
        try:  # bound every request: a hung server must fail clearly, not block forever
            import httpx

            client._server._session.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        except Exception:
            pass
        return client
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)


class _Gate:
    """Any number of calls at once; ``exclusive`` waits for them to end and holds new ones off."""

    def __init__(self):
        self._cond = threading.Condition()
        self._active = 0
        self._exclusive = False

    @contextmanager
    def shared(self):
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if not self._active:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._exclusive = True
            while self._active:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def _shared(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        self._ensure_open()
        with self._gate.shared():
            return method(self, *args, **kwargs)

    return wrapper


class VectorStore:
    def __init__(self, index_dir: Path, collection: str, embedder_id: str, chroma_url: str | None = None,
                 timeout: float | None = None):
        """``timeout``: seconds a request to a Chroma server may take (default: the store.chroma_timeout
        setting), since chromadb's HttpClient would otherwise wait forever on a hung server."""
        if timeout is None:
            from .settings import current

            timeout = current().store.chroma_timeout
        self.url = chroma_url
        self._timeout = timeout
        self._index_dir = Path(index_dir)
        self._name = collection
        self._embedder_id = embedder_id
        self._gate = _Gate()
        self._client = None
        if self.url:
            self._open()   # a server that cannot be reached is said at once
        # embedded: opened on first use (_ensure_open), so a process that never reads or writes
        # vectors (`rag sources`, a question answered from the catalog's vectors) never imports chromadb

    def _open(self) -> None:
        if self.url:
            return self._open_unlocked()
        # Processes creating a new on-disk store at once race in Chroma's own schema set-up
        # ("table collections already exists"; test_concurrency.py shows it): one opener per index.
        from filelock import FileLock

        self._index_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(self._index_dir / "chroma-open.lock"):
            self._open_unlocked()

    def _open_unlocked(self) -> None:
        chroma_url, collection, embedder_id = self.url, self._name, self._embedder_id
        self._client = _client(self._index_dir, chroma_url, self._timeout)
        try:
            self._col = self._client.get_or_create_collection(
                collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": 64}},
                metadata={"embedder": embedder_id})
        except Exception as e:
            if chroma_url and _unreachable(e):
                raise VectorStoreError(f"cannot reach Chroma server at {chroma_url} ({type(e).__name__}: {e}); "
                                       f"is `chroma run` up? retry when it is") from None
            raise VectorStoreError(f"cannot open Chroma collection {collection!r}"
                                   f"{' at ' + chroma_url if chroma_url else ''}: {e}") from None
        recorded = (self._col.metadata or {}).get("embedder")
        if recorded and recorded != embedder_id:
            raise EmbedderMismatch(
                f"this index was built with embedder {recorded!r} but is being opened with {embedder_id!r}; "
                f"pass --embedder {recorded} (or RAG_EMBEDDER), or rebuild: remove the index directory "
                f"(or use another --index) and ingest again with the new embedder")
        try:
            self._batch = max(1, min(5000, self._client.get_max_batch_size()))
        except Exception:
            self._batch = 1000

    def _close_client(self) -> None:
        client, self._client = getattr(self, "_client", None), None
        if client is None:
            return
        try:
            if hasattr(client, "close"):
                client.close()  # chromadb >= 1.4: releases the process-wide shared system
            elif not self.url:
                client.clear_system_cache()
        except Exception:
            pass

    def reopen(self) -> None:
        """A fresh client: sees what other processes wrote (embedded mode). Waits for calls in flight."""
        with self._gate.exclusive():
            self._close_client()
            self._open()

    def close(self) -> None:
        """Release the client (a later call opens a fresh one)."""
        with self._gate.exclusive():
            self._close_client()

    def _ensure_open(self) -> None:
        if self._client is None:
            with self._gate.exclusive():
                if self._client is None:
                    self._open()

    @_shared
    @_server_call
    def count(self) -> int:
        return self._col.count()

    @_shared
    @_server_call
    def entries(self, doc_id: str | None = None, version: str | None = None) -> list[tuple[str, dict]]:
        """(id, metadata) of the stored vectors, optionally of one document / version (for checks)."""
        conds = [{"doc_id": doc_id}] if doc_id is not None else []
        conds += [{"version": version}] if version is not None else []
        where = None if not conds else conds[0] if len(conds) == 1 else {"$and": conds}
        out: list[tuple[str, dict]] = []
        offset, page = 0, 5000
        while True:
            res = self._col.get(where=where, include=["metadatas"], limit=page, offset=offset)
            ids = res["ids"]
            out += list(zip(ids, [m or {} for m in (res.get("metadatas") or [{}] * len(ids))]))
            if len(ids) < page:
                return out
            offset += page

    @_shared
    @_server_call
    def add(self, ids: list[str], embeddings, metadatas: list[dict]) -> None:
        for i in range(0, len(ids), self._batch):
            self._col.upsert(ids=ids[i : i + self._batch], embeddings=embeddings[i : i + self._batch],
                             metadatas=metadatas[i : i + self._batch])

    @_shared
    @_server_call
    def delete_version(self, doc_id: str, version: str) -> None:
        self._col.delete(where={"$and": [{"doc_id": doc_id}, {"version": version}]})

    @_shared
    @_server_call
    def query(self, vector, n: int, doc_ids: list[str] | None = None,
              metadata: bool = True) -> list[tuple[str, float, dict]]:
        """(chunk_id, similarity, metadata) best first; similarity = 1 - cosine distance. Without
        ``metadata`` each hit's metadata is {}: Chroma reads a result's metadata row by row, which is
        three quarters of the time of a large query (1,472 results at 100k chunks: 38 ms, 10 without)."""
        where = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            where = {"doc_id": {"$in": list(doc_ids)}} if len(doc_ids) > 1 else {"doc_id": doc_ids[0]}
        n = max(1, n)
        res = self._col.query(query_embeddings=[vector], n_results=n, where=where,
                              include=["distances", "metadatas"] if metadata else ["distances"])
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [0.0] * len(ids)
        metas = res["metadatas"][0] if res.get("metadatas") else [{}] * len(ids)
        return [(i, 1.0 - float(d), m or {}) for i, d, m in zip(ids, dists, metas)]
