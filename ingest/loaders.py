"""File -> list of pages of cleaned text.

Pages are numbered from 1 as a PDF viewer shows them. Text formats have no
pages (page ``None``) unless a page separator line is declared for them, they
hold form feeds, or their printed page numbers stand on lines of their own
(ingest.printed_pages); such pages are numbered in order from 1.
Every failure raises IngestError with one line a user can act on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .cleaning import clean_text, reline_split_rows, strip_running_lines
from .errors import IngestError
from .printed_pages import split_printed_pages

SUPPORTED_SUFFIXES = {".pdf", ".html", ".htm", ".md", ".markdown", ".txt", ".text"}
# Size limits, checked before a byte is read. What bounds ingest time is the
# number of chunks to embed (see rag.indexing.MAX_CHUNKS_PER_DOCUMENT); these
# refuse at once files that would exceed it by far, instead of after minutes of
# parsing. PDFs are mostly fonts and images, HTML mostly markup (inline XBRL).
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_HTML_BYTES = 64 * 1024 * 1024
MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024  # .txt/.md: 16 MB is > 5x the text of 5,000 chunks
_TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text"}


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based page, None for unpaginated text
    text: str


def load_pages(path: str | Path, page_separator: str | None = None, max_pages: int | None = None, *,
               workers: int | None = None) -> list[Page]:
    """The pages of a file, cleaned. ``max_pages`` reads only a PDF's first pages (metadata needs no
    more); ``workers``: processes reading a long PDF's pages (None: the ingest.workers setting,
    RAG_INGEST_WORKERS, by default one per core; 1: this process alone)."""
    path = Path(path)
    if not path.exists():
        raise IngestError(path, "no such file")
    if not path.is_file():
        raise IngestError(path, "not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(path, f"unsupported file type {suffix or '(none)'}; expected one of "
                          + ", ".join(sorted(SUPPORTED_SUFFIXES)))
    try:
        size = path.stat().st_size
        if size == 0:
            raise IngestError(path, "empty file (0 bytes)")
        limit = (MAX_TEXT_FILE_BYTES if suffix in _TEXT_SUFFIXES
                 else MAX_HTML_BYTES if suffix in (".html", ".htm") else MAX_FILE_BYTES)
        if size > limit:
            raise IngestError(path, f"file too large to index ({_mb(size)} > {_mb(limit)} limit for {suffix} files); "
                                    f"split it into smaller files")
        data = path.read_bytes()
    except PermissionError:
        raise IngestError(path, "permission denied (file is not readable)") from None
    except OSError as e:
        raise IngestError(path, f"cannot read file: {e.strerror or e}") from None

    if suffix == ".pdf":
        pages = _pdf_pages(path, data, max_pages, workers)
    else:
        text = decode_text(path, data)
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
        elif suffix in (".md", ".markdown"):
            text = markdown_to_text(text) if page_separator is None else text
        raw_pages = _split_pages(text, page_separator)
        if suffix in (".md", ".markdown") and page_separator is not None:
            raw_pages = [(n, markdown_to_text(t)) for n, t in raw_pages]
        pages = [Page(n, clean_text(t)) for n, t in raw_pages]
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        if suffix == ".pdf":
            raise IngestError(path, "no extractable text (scanned or image-only PDF?), OCR needed")
        raise IngestError(path, "no text content after cleaning")
    return pages


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n < 10 * 2**20 else f"{n // 2**20} MB"


def _split_pages(text: str, separator: str | None) -> list[tuple[int | None, str]]:
    if separator:
        parts = re.split(rf"(?m)^[ \t]*{re.escape(separator)}[ \t]*$", text)
        return [(i + 1, part) for i, part in enumerate(parts)]
    if "\f" in text:
        return [(i + 1, part) for i, part in enumerate(text.split("\f"))]
    printed = split_printed_pages(text)
    if printed:
        return [(i + 1, part) for i, part in enumerate(printed)]
    return [(None, text)]


# -- PDF ---------------------------------------------------------------------

def _pdf_pages(path: Path, data: bytes, max_pages: int | None = None, workers: int | None = None) -> list[Page]:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every odd xref
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError(path, "not a PDF (no %PDF header); the file is damaged or mislabelled")
    needs_password = "encrypted PDF needs a password; save an unencrypted copy and retry"
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError:
                raise
            except Exception:
                ok = 0
            if not ok:
                raise IngestError(path, needs_password)
        if max_pages is not None:
            texts = [page.extract_text() or "" for page in reader.pages[:max_pages]]
        else:
            texts = _pdf_texts(reader, data, workers)
    except IngestError:
        raise
    except FileNotDecryptedError:
        raise IngestError(path, needs_password) from None
    except DependencyError:
        # AES-encrypted (often with an empty password, "copy-protected"): pypdf needs `cryptography`
        raise IngestError(path, "AES-encrypted PDF: reading it needs the `cryptography` package "
                                "(pip install cryptography), or save an unencrypted copy") from None
    except MemoryError:
        raise
    except Exception as e:  # pypdf raises many types on damaged files; none may abort the whole ingest
        detail = f"{type(e).__name__}: {' '.join(str(e).split())[:120]}"
        if b"%%EOF" not in data[-2048:]:
            raise IngestError(path, f"truncated PDF: the file ends before its %%EOF marker; "
                                    f"copy or download it again ({detail})") from None
        raise IngestError(path, f"corrupt PDF ({detail})") from None
    if not any(t.strip() for t in texts):
        raise IngestError(path, "no extractable text (scanned or image-only PDF?), OCR needed")
    texts = reline_split_rows([clean_text(t) for t in strip_running_lines(texts)])
    return [Page(i + 1, t) for i, t in enumerate(texts)]


# Page-parallel extraction: pypdf runs ~8 pages/s on one core here, so a 296-page filing took
# ~38 s. From PARALLEL_MIN_PAGES pages on, pages are interleaved over this process and
# (workers - 1) child processes (`python -m ingest.pdf_pages`), each with its own reader over the
# same bytes; the texts are the same as the serial loop's. The ingest.workers setting
# (RAG_INGEST_WORKERS, default: the number of cores) sets the number of processes; 1 turns it off.
# Any failure in a child falls back to the serial loop, which reports the precise error.
PARALLEL_MIN_PAGES = 40


def _ingest_workers(workers: int | None) -> int:
    import os

    if workers is None:
        from rag.settings import current

        workers = current().ingest.workers
    return max(1, workers or os.cpu_count() or 1)


def _pdf_texts(reader, data: bytes, workers: int | None = None) -> list[str]:
    pages = reader.pages
    n = len(pages)
    workers = min(_ingest_workers(workers), n // (PARALLEL_MIN_PAGES // 2) or 1)
    if n >= PARALLEL_MIN_PAGES and workers > 1 and not reader.is_encrypted:
        texts = _pdf_texts_parallel(pages, data, n, workers)
        if texts is not None:
            return texts
    return [page.extract_text() or "" for page in pages]


def _pdf_texts_parallel(pages, data: bytes, n: int, workers: int) -> list[str] | None:
    import json
    import subprocess
    import sys
    import threading

    from rag.settings import child_environment

    env = child_environment(python_path=str(Path(__file__).resolve().parent.parent))
    procs, outs = [], {}
    try:
        for k in range(1, workers):
            procs.append((k, subprocess.Popen([sys.executable, "-m", "ingest.pdf_pages", str(k), str(workers)],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL, env=env)))
    except OSError:
        for _, p in procs:
            p.kill()
        return None

    def collect(k, p):
        try:
            out, _ = p.communicate(data)
            outs[k] = json.loads(out) if p.returncode == 0 else None
        except Exception:
            outs[k] = None

    threads = [threading.Thread(target=collect, args=kp, daemon=True) for kp in procs]
    for t in threads:
        t.start()
    done = False
    try:
        mine = [pages[i].extract_text() or "" for i in range(0, n, workers)]
        done = True
    finally:
        if not done:  # this process's pages failed: the error is reported from here
            for _, p in procs:
                p.kill()
        for t in threads:
            t.join()
    texts: list[str] = [""] * n
    texts[0::workers] = mine
    for k, _ in procs:
        got = outs.get(k)
        if got is None or len(got) != len(range(k, n, workers)):
            return None
        texts[k::workers] = got
    return texts


# -- text decoding -------------------------------------------------------------

def decode_text(path: Path, data: bytes) -> str:
    """Decode bytes as text: BOMs, then UTF-8, then GB18030 (GBK superset), then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:65536]
    if sample.count(b"\x00") > len(sample) // 20:
        # UTF-16 without BOM has NULs in every other byte for ASCII text
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_textual(text):
                return text
        raise IngestError(path, "binary content, not text (NUL bytes); check the file type")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        try:
            text = data.decode("gb18030")
            if not _looks_textual(text):
                text = None
        except UnicodeDecodeError:
            text = None
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise IngestError(path, "cannot detect the text encoding (binary file?)")
        text = str(best)
    if not _looks_textual(text):
        raise IngestError(path, "binary content, not text; check the file type")
    return text


def _looks_textual(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or ch == "\ufffd"
              or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad <= len(sample) * 0.02


# -- HTML and Markdown ----------------------------------------------------------

def html_to_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "svg", "template", "head", "iframe", "object"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    # table rows stay on one line so figures keep their labels
    for tr in soup.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
        tr.replace_with("\n" + " | ".join(c for c in cells if c) + "\n")
    text = soup.get_text("\n")
    return re.sub(r"\n\s*\n+", "\n\n", text)


_MD_TAG = re.compile(r"</?(?:br|sup|sub|span|div|p|b|i|u|em|strong|font|center|small)[^>]*>", re.I)
_MD_LATEX_NUM = re.compile(r"\s*\$\s*([-+]?[\d.,]+\s*\\?%?)\s*\$\s*")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def markdown_to_text(md: str) -> str:
    """Markdown to plain text: keep words, table rows and list items; drop markup."""
    md = _MD_IMAGE.sub("", md)
    md = _MD_LINK.sub(r"\1", md)
    md = re.sub(r"<br\s*/?>", " ", md, flags=re.I)
    md = _MD_TAG.sub("", md)
    md = _MD_LATEX_NUM.sub(lambda m: " " + m.group(1).replace("\\%", "%").replace(" ", "") + " ", md)
    md = md.replace("\\(", "$").replace("\\)", "$").replace("\\%", "%").replace("\\$", "$")
    lines = []
    for ln in md.split("\n"):
        s = ln.strip()
        if re.fullmatch(r"\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?", s):
            continue  # table alignment row
        if re.fullmatch(r"(-{3,}|\*{3,}|_{3,})", s):
            lines.append("")
            continue
        s = re.sub(r"^#{1,6}\s+", "", s)
        s = re.sub(r"^>\s?", "", s)
        s = re.sub(r"(\*\*|__)(.+?)\1", r"\2", s)
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            s = " | ".join(c for c in cells if c)
            lines.append(s)
            lines.append("")  # a table row is its own unit, never joined to the next
            continue
        lines.append(s)
    return "\n".join(lines)
