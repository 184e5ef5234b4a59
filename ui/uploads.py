"""Uploaded files: checked, stored under ``<index>/uploads/`` with safe names, ingested.

* Only the types ingest reads (PDF, HTML, Markdown, text) and at most
  ``max_bytes`` each; the browser's file name is reduced to a safe base name
  (no directories, no "..", no control or shell characters), and the final path
  is checked to be inside the uploads folder.
* A stored file is never overwritten: a different file with a name already in
  use gets ``name-2.pdf``, etc. (so the original a citation links to never changes).
* A file that fails to ingest (or duplicates a document already indexed) is
  deleted again: a bad upload changes nothing.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import unicodedata
import uuid
from pathlib import Path
from typing import Callable

from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.manifest import sha256_of

from .engine import embedding_progress, install_progress_embedder
from .i18n import t

ALLOWED_SUFFIXES = tuple(sorted(SUPPORTED_SUFFIXES))
MAX_NAME_CHARS = 100


def safe_filename(name: str) -> str:
    """A file name that is safe to create in the uploads folder, keeping the (lower-cased) suffix."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", str(name)))[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())[:10]
    stem = re.sub(r"[^\w.\-]+", "_", stem)          # \w: letters (any script), digits, _
    stem = re.sub(r"\.{2,}", ".", stem).strip("._- ") or "upload"
    stem = stem[:MAX_NAME_CHARS]
    return f"{stem}.{suffix}" if suffix else stem


class UploadStore:
    def __init__(self, assistant, root: Path | None = None, max_bytes: int | None = None):
        self.assistant = assistant
        self.root = Path(root or Path(assistant.index_dir) / "uploads").resolve()
        self.max_bytes = max_bytes if max_bytes is not None else assistant.settings.ui.max_upload_mb * 2**20
        self._lock = threading.Lock()
        install_progress_embedder(assistant)

    def ensure_root(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def owns(self, path: str | Path | None) -> bool:
        """Is this a file the UI stored (so removing its document may delete it)?"""
        if not path:
            return False
        try:
            return Path(path).resolve().parent == self.root
        except OSError:
            return False

    def check(self, path: Path, name: str, lang: str = "en") -> str | None:
        """Reason the file is refused, or None."""
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            return t(lang, "bad_type", suffix=suffix or "(none)", allowed=", ".join(ALLOWED_SUFFIXES))
        try:
            size = path.stat().st_size
        except OSError as e:
            return f"cannot read the upload: {e.strerror or e}"
        if size == 0:
            return t(lang, "empty_file")
        if size > self.max_bytes:
            return t(lang, "too_large", size=f"{size / 2**20:.1f}", mb=self.max_bytes // 2**20)
        return None

    def _destination(self, src: Path, name: str) -> tuple[Path, bool]:
        """(where to store, whether that exact file is already there)."""
        safe = safe_filename(name)
        stem, suffix = (safe.rsplit(".", 1) + [""])[:2]
        digest = None
        for i in range(1, 10_000):
            cand = self.root / (safe if i == 1 else f"{stem}-{i}.{suffix}" if suffix else f"{stem}-{i}")
            if cand.resolve().parent != self.root:  # belt and braces: never leave the folder
                raise ValueError(f"unsafe file name {name!r}")
            if not cand.exists():
                return cand, False
            digest = digest or sha256_of(src)
            if cand.is_file() and sha256_of(cand) == digest:
                return cand, True
        raise ValueError("too many files with this name")

    def ingest(self, files: list[tuple[str | Path, str]], lang: str = "en",
               progress: Callable[[float, str], None] | None = None) -> list[dict]:
        """files: (temporary path, the user's file name). Returns one row per file:
        {name, status, doc_id, reason, pages, chunks, path}."""
        rows = []
        n = len(files)
        for i, (tmp, name) in enumerate(files):
            name = Path(str(name)).name or "upload"
            span_lo, span = i / max(1, n), 1 / max(1, n)

            def report(frac, desc, _lo=span_lo, _span=span):
                if progress:
                    progress(min(0.999, _lo + _span * frac), desc)

            report(0.02, t(lang, "reading", name=name))
            rows.append(self._ingest_one(Path(tmp), name, lang, report))
        if progress:
            progress(1.0, t(lang, "ingest_done"))
        return rows

    def _ingest_one(self, tmp: Path, name: str, lang: str, report) -> dict:
        row = {"name": name, "status": "failed", "doc_id": "", "reason": "", "pages": 0, "chunks": 0, "path": ""}
        reason = self.check(tmp, name, lang)
        if reason:
            row["reason"] = reason
            return row
        with self._lock:
            self.ensure_root()
            created = False
            try:
                dest, existed = self._destination(tmp, name)
                if not existed:
                    part = self.root / f".incoming-{uuid.uuid4().hex}"
                    try:
                        shutil.copyfile(tmp, part)
                        os.replace(part, dest)
                    finally:
                        part.unlink(missing_ok=True)
                    created = True

                def on_embed(done, total):
                    report(0.1 + 0.88 * done / max(1, total), t(lang, "embedding", name=name, done=done, total=total))

                with embedding_progress(on_embed):
                    result = next(iter(self.assistant.ingest([dest])), None)
            except Exception as e:  # index busy, disk full, ...: report it, leave nothing behind
                if created:
                    dest.unlink(missing_ok=True)
                row["reason"] = f"{type(e).__name__}: {e}"
                return row
            if result is None:
                result_status, result_reason, doc_id = "failed", "nothing was ingested", ""
            else:
                result_status, result_reason, doc_id = result.status, result.reason, result.doc_id
                row.update(pages=result.pages, chunks=result.chunks)
            row.update(status=result_status, reason=result_reason, doc_id=doc_id, path=str(dest))
            if created and (result_status == "failed" or not self._is_source(dest)):
                dest.unlink(missing_ok=True)   # bad file, or a copy of a document indexed elsewhere
                row["path"] = ""
            return row

    def _is_source(self, path: Path) -> bool:
        p = str(path.resolve())
        return any(d.get("source") == p for d in self.assistant.sources())

    def remove(self, doc_id: str) -> bool:
        """Remove a document; delete its file too when it is one the UI stored."""
        with self._lock:
            doc = next((d for d in self.assistant.sources() if d["doc_id"] == doc_id), None)
            removed = self.assistant.remove(doc_id)
            if removed and doc and self.owns(doc.get("source")) and not self._is_source(Path(doc["source"])):
                Path(doc["source"]).unlink(missing_ok=True)
            return removed
