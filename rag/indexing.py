"""Ingest orchestration: paths -> documents -> chunks -> vectors + catalog.

Per file: hash it; if the catalog holds that exact version, nothing to do.
Otherwise load, clean and chunk (any failure leaves the index untouched), embed,
write vectors under the new version (invisible until committed), then commit
the catalog in one transaction, then delete the superseded vectors. One ingest
at a time per index: an exclusive file lock serialises concurrent ingests.
"""
from __future__ import annotations

import errno
import os
import re
import time
import unicodedata
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from ingest import IngestError, load_manifest
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.manifest import MANIFEST_NAMES, DocumentMeta, Manifest, sha256_of

from .text import keyword_tokens, language_of
from .types import IngestReport, IngestResult

Progress = Callable[[str, float], None]  # (message, fraction done)

# Chunks one document may have. Embedding is what an ingest spends its time on
# (the default USE embedder does ~40 chunks/s on 2 cores), so this bounds one
# document to ~2 minutes; the largest shared disclosure (a 296-page Chinese
# annual report) has 1,726 chunks. Longer files fail with a clear reason.
MAX_CHUNKS_PER_DOCUMENT = 5000


class IndexBusy(RuntimeError):
    pass


@contextmanager
def ingest_lock(index_dir: Path, wait_seconds: float = 600.0):
    """Exclusive lock per index (a file lock: held by one process, and one thread, at a time); a
    second ingest waits, then fails clearly."""
    from filelock import FileLock, Timeout   # portable: fcntl does not exist on Windows

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(index_dir / "ingest.lock")
    try:
        lock.acquire(timeout=wait_seconds, poll_interval=0.2)
    except Timeout:
        raise IndexBusy(f"another ingest is running on {index_dir} (lock held for {wait_seconds:.0f}s)") from None
    try:
        yield
    finally:
        lock.release()


def slug(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).lower()
    s = re.sub(r"[^\w\u3400-\u9fff]+", "-", name).strip("-")
    return s[:80] or "document"


def expand_paths(paths: Iterable[str | Path], shared_corpus: Path | None = None,
                 ) -> tuple[list[tuple[Path, DocumentMeta | None]], list[IngestResult]]:
    """Files to ingest (with manifest metadata where a manifest names them) and path errors;
    ``shared_corpus``: see ingest.manifest.load_manifest."""
    files: list[tuple[Path, DocumentMeta | None]] = []
    errors: list[IngestResult] = []
    seen: set[Path] = set()

    def add(p: Path, meta: DocumentMeta | None):
        rp = p.resolve()
        if rp not in seen:
            seen.add(rp)
            files.append((p, meta))

    for raw in paths:
        p = Path(raw)
        if p.suffix.lower() == ".toml" and p.is_file():
            try:
                m = load_manifest(p, shared_corpus)
            except IngestError as e:
                errors.append(IngestResult(str(p), "failed", reason=e.reason))
                continue
            for doc in m.documents:
                add(m.path_of(doc), doc)
            continue
        if p.is_dir():
            manifests: dict[Path, DocumentMeta] = {}
            for root, dirs, names in os.walk(p, followlinks=False):  # no symlink loops
                dirs.sort()
                for name in MANIFEST_NAMES:
                    if name in names:
                        try:
                            manifests.update(load_manifest(Path(root) / name, shared_corpus).by_path())
                        except IngestError as e:
                            errors.append(IngestResult(str(Path(root) / name), "failed", reason=e.reason))
            for root, dirs, names in os.walk(p, followlinks=False):
                dirs.sort()
                for name in sorted(names):
                    f = Path(root) / name
                    if f.suffix.lower() in SUPPORTED_SUFFIXES and not name.startswith("."):
                        if f.is_symlink() and not f.exists():
                            errors.append(IngestResult(str(f), "failed", reason=_bad_link_reason(f)))
                            continue
                        add(f, manifests.get(f.resolve()))
            continue
        if not p.exists():
            reason = _bad_link_reason(p) if p.is_symlink() else "no such file or directory"
            errors.append(IngestResult(str(p), "failed", reason=reason))
            continue
        meta = None
        for name in MANIFEST_NAMES:  # a single file next to a manifest still gets its metadata
            mp = p.parent / name
            if mp.is_file():
                try:
                    meta = load_manifest(mp, shared_corpus).by_path().get(p.resolve())
                except IngestError:
                    meta = None
        add(p, meta)
    return files, errors


def _bad_link_reason(p: Path) -> str:
    try:
        os.stat(p)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop (the link points back to itself)"
    return "broken symbolic link (its target does not exist)"


def _infer_title(path: Path, pages) -> str:
    for line in pages[0].text.split("\n"):
        line = line.strip(" #|\t")
        if 4 <= len(line) <= 120:
            return line
    return path.stem


def ingest_paths(store, embedder, paths, chunk_size: float, progress: Progress | None = None, *,
                 pipeline: bool = True, workers: int | None = None,
                 shared_corpus: Path | None = None) -> IngestReport:
    """``pipeline``: read ahead in a child process (the ingest.pipeline setting); ``workers``:
    processes reading one long PDF (ingest.workers; None: the setting's default, one per core);
    ``shared_corpus``: where manifests of the shared corpus find it (ingest.shared_corpus)."""
    report = IngestReport()
    files, errors = expand_paths(paths, shared_corpus)
    report.results.extend(errors)
    store.collect_garbage()  # finish deletions a killed ingest left behind
    # Read-ahead: while this process embeds file i, a child process reads, cleans and chunks the
    # next files (pypdf and the embedder each get a core; in one process they would share one, as
    # pypdf holds the GIL). Only reading happens ahead, at most READ_AHEAD files, so memory stays
    # bounded; every write, and the order of results, is as before.
    ahead = ReadAhead(chunk_size, workers) if pipeline and len(files) > 1 else None
    sent = 0
    try:
        for i, (path, meta) in enumerate(files):
            if progress:
                progress(f"{path.name}", i / max(1, len(files)))
            if ahead is not None:
                while sent < min(len(files), i + 1 + READ_AHEAD):
                    if sent > i and _needs_reading(store, *files[sent]):
                        ahead.request(sent, *files[sent])
                    sent += 1
            prepared = ahead.take(i, path) if ahead is not None else None
            report.results.append(ingest_file(store, embedder, path, meta, chunk_size, prepared=prepared,
                                              workers=workers))
    finally:
        if ahead is not None:
            ahead.close()
    if progress:
        progress("done", 1.0)
    return report


READ_AHEAD = 4   # files; the 296-page filing needs ~3 files of embedding ahead of it to be read in time


def _needs_reading(store, path: Path, meta: DocumentMeta | None) -> bool:
    """Worth reading ahead: not already indexed with this content (the ingest itself decides for sure)."""
    try:
        return store.catalog.document_by_sha(sha256_of(path)) is None
    except OSError:
        return False   # ingest_file reports the problem


class ReadAhead:
    """Files read, cleaned and chunked by a child process (``python -m ingest.prepare_worker``)."""

    def __init__(self, chunk_size: float, workers: int | None = None):
        import subprocess
        import sys
        import threading

        from .settings import child_environment

        self.chunk_size, self.workers = chunk_size, workers
        self._results: dict[int, tuple] = {}
        self._order: list[int] = []      # file indices requested, in the child's order
        self._done = 0                   # answers received
        self._dead = False
        self._cond = threading.Condition()
        env = child_environment(PYTHONUNBUFFERED="1")
        try:
            self._proc = subprocess.Popen([sys.executable, "-m", "ingest.prepare_worker"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                          close_fds=True)
        except OSError:
            self._proc, self._dead = None, True
            return
        threading.Thread(target=self._read, name="rag-read-ahead", daemon=True).start()

    def request(self, i: int, path: Path, meta: DocumentMeta | None) -> None:
        import json

        with self._cond:
            if self._dead:
                return
            self._order.append(i)
        line = json.dumps({"path": str(path), "separator": meta.page_separator if meta else None,
                           "chunk_size": self.chunk_size, "workers": self.workers}) + "\n"
        try:
            self._proc.stdin.write(line.encode("utf-8"))
            self._proc.stdin.flush()
        except (OSError, ValueError):
            with self._cond:
                self._order.remove(i)
                self._dead = True
                self._cond.notify_all()

    def _read(self) -> None:
        import pickle
        import struct

        out = self._proc.stdout
        try:
            while True:
                head = out.read(8)
                if len(head) < 8:
                    break
                data = out.read(struct.unpack(">Q", head)[0])
                answer = pickle.loads(data)   # our own child's output
                with self._cond:
                    self._results[self._order[self._done]] = answer
                    self._done += 1
                    self._cond.notify_all()
        except Exception:
            pass
        with self._cond:
            self._dead = True
            self._cond.notify_all()

    def take(self, i: int, path: Path) -> "_Prepared | None":
        """What the child made of file i (waiting for it), or None if it was not asked / cannot answer."""
        with self._cond:
            if i not in self._order:
                return None
            while i not in self._results and not self._dead:
                self._cond.wait()
            if i in self._results:
                return _Prepared(path, self._results.pop(i))
            # the child stopped: the first unanswered file is the one it was reading
            culprit = self._order[self._done] if self._done < len(self._order) else None
        return _Prepared(path, ("died",)) if culprit == i else None

    def close(self) -> None:
        if self._proc is None:
            return
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=0.5)
        except Exception:
            self._proc.kill()   # still reading a file nobody needs any more
            self._proc.wait()
        self._proc.stdout.close()


class _Prepared:
    """The child's answer for one file, raised or returned as the in-process reading would."""

    def __init__(self, path: Path, answer: tuple):
        self.path, self.answer = path, answer

    def result(self):
        kind = self.answer[0]
        if kind == "ok":
            return self.answer[1:]
        if kind == "died":
            raise IngestError(self.path, "the reading process stopped while reading this file "
                                         "(out of memory or a crash in the parser)")
        _, name, message = self.answer
        if name == "IngestError":
            raise IngestError(self.path, message)
        if name == "MemoryError":
            raise MemoryError
        if name == "UnicodeError":
            raise UnicodeError(message)
        raise _unreadable(self.path, name, message)


def _unreadable(path: Path, kind: str, message: str) -> IngestError:
    """A parser's own failure on one file, in one line (read here or by the read-ahead child)."""
    return IngestError(path, f"cannot read this file ({kind}: {' '.join(message.split())[:120]})")


def _prepare(path: Path, meta: DocumentMeta | None, chunk_size: float, workers: int | None = None):
    """Pages, chunks and their timings for a file (what the read-ahead child computes), here."""
    if not path.is_file():
        return None
    from ingest.prepare_worker import prepare

    return prepare(path, meta.page_separator if meta else None, chunk_size, workers)


def ingest_file(store, embedder, path: Path, meta: DocumentMeta | None, chunk_size: float,
                prepared=None, workers: int | None = None) -> IngestResult:
    t0 = time.perf_counter()
    display = str(path)
    try:
        if not path.is_file():
            raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
        try:
            sha = sha256_of(path)
        except OSError as e:
            raise IngestError(path, f"cannot read file: {e.strerror or e}") from None
        if meta and meta.sha256 and meta.sha256 != sha:
            raise IngestError(path, f"sha256 differs from the manifest entry for {meta.id} (file changed or wrong file)")
        doc_id = meta.id if meta else slug(path.stem)
        existing = store.catalog.document(doc_id)
        if existing and not meta and existing["source"] and Path(existing["source"]) != path.resolve():
            # same stem, different file: keep both documents
            doc_id = f"{doc_id}-{sha[:8]}"
            existing = store.catalog.document(doc_id)
        version = sha[:16]
        if existing and existing["version"] == version:
            return IngestResult(display, "unchanged", doc_id=doc_id)
        twin = store.catalog.document_by_sha(sha)
        if twin and twin["doc_id"] != doc_id:
            return IngestResult(display, "unchanged", doc_id=twin["doc_id"],
                                reason=f"identical content already indexed as {twin['doc_id']}")

        try:
            got = prepared.result() if prepared is not None else None   # re-raises what the worker met
            if got is None:
                got = _prepare(path, meta, chunk_size, workers)
            if got is None:
                raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
            pages, chunks, stages, *made = got
            tokens = made[0] if made else None   # the read-ahead's keyword tokens
        except (IngestError, MemoryError, UnicodeError):
            raise
        except Exception as e:  # a parser bug on one hostile file must not abort the others
            raise _unreadable(path, type(e).__name__, str(e)) from None
        if not chunks:
            raise IngestError(path, "no text content after cleaning")
        if len(chunks) > MAX_CHUNKS_PER_DOCUMENT:
            raise IngestError(path, f"too long to index: {len(chunks):,} chunks > {MAX_CHUNKS_PER_DOCUMENT:,} "
                                    f"per document (~{len(chunks) // 2400 + 1} min to embed); split it into smaller files")
        info = _document_metadata(meta.as_metadata() if meta else {}, path, pages, existing)
        all_text = " ".join(p.text for p in pages[:3])[:5000]
        info["title"] = info.get("title") or _infer_title(path, pages)
        info["language"] = info.get("language") or language_of(all_text)
        info["kind"] = info.get("kind") or "document"
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {
            "doc_id": doc_id, "version": version, "sha256": sha, "source": str(path.resolve()),
            "format": path.suffix.lower().lstrip("."), "pages": len(pages), "chunks": len(chunks),
            "added_at": existing["added_at"] if existing else now, "updated_at": now, "meta": info,
        }
        store.add_document(record, pages, chunks, embedder, tokens=tokens)
        status = "replaced" if existing else "added"
        return IngestResult(display, status, doc_id=doc_id, pages=len(pages), chunks=len(chunks),
                            seconds=time.perf_counter() - t0, stages=stages)
    except IngestError as e:
        return IngestResult(display, "failed", reason=e.reason, seconds=time.perf_counter() - t0)
    except MemoryError:
        return IngestResult(display, "failed", reason="out of memory while processing this file")
    except UnicodeError as e:
        return IngestResult(display, "failed", reason=f"text decoding failed: {e}")


def _document_metadata(info: dict, path: Path, pages, existing: dict | None) -> dict:
    """Manifest fields, then what the document itself says for the fields left empty
    (recorded in ``inferred``), then the user's corrections (``rag tag``), which survive re-ingest."""
    from .metadata import infer_metadata, merge_inferred

    try:
        info = merge_inferred(info, infer_metadata(path, pages))
    except Exception:  # inference is best effort: it never fails an ingest
        pass
    old = (existing or {}).get("meta") or {}
    tagged = [f for f in old.get("tagged") or [] if f in old]
    for f in tagged:
        info[f] = old[f]
        (info.get("inferred") or {}).pop(f, None)
    if tagged:
        info["tagged"] = tagged
    return info


def chunk_tokens(text: str) -> str:
    return " ".join(keyword_tokens(text))
