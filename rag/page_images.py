"""Cited PDF pages as images, and where a quote's characters are on them.

A citation quotes the stored page text (pypdf's extraction, cleaned); an analyst knows the
page as printed, tables included. So the page is rendered with PDFium (pypdfium2) and the
quote is located among PDFium's own characters for that page (``rag.text_alignment`` maps
the cleaned text onto them), whose boxes then mark it:

* ``png_path(doc_id, page)``: the page rendered ``width`` pixels wide, as a PNG cached under
  ``<index>/pages/<file sha256>/`` (content-addressed: a replaced file gets new images, and
  directories of files no longer indexed are pruned);
* ``quote_boxes(citation)``: the quote's boxes in page coordinates — PDF points from the top
  left of the page as displayed (rotation applied), one box per line piece — and the page
  size, so any viewer can scale them onto its own rendering;
* ``image(doc_id, page, highlight)``: PNG bytes with translucent boxes drawn over the quote.

PDFium is not thread-safe: every call into it holds one process-wide lock. The PNG is
encoded here (numpy + zlib), which is faster than Pillow for rendered pages and needs no
imaging library in the default install.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import struct
import threading
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .text_alignment import align

RENDER_WIDTH = 1000          # pixels: sharp at the source panel's width on a 2x display
MIN_COVERAGE = 0.8           # share of the quote's characters that must be found to mark it
HIGHLIGHT_RGB = (255, 214, 0)
HIGHLIGHT_ALPHA = 0.55       # multiplied in: text under the mark stays dark
BOX_PAD = 1.0                # points added around each box
_PNG_LEVEL = 3               # zlib level: level 6+ is 2x slower for ~4% smaller pages

_PDFIUM_LOCK = threading.RLock()


class PageImageError(RuntimeError):
    """A page cannot be shown: not a PDF, file missing or changed, page out of range."""


@dataclass
class QuoteBoxes:
    """Where a quote is on its page. Coordinates are PDF points (1/72 inch) from the top-left
    corner of the page as displayed; ``boxes`` are [x0, top, x1, bottom]."""
    page: int
    page_width: float
    page_height: float
    boxes: list[list[float]] = field(default_factory=list)
    coverage: float = 0.0    # share of the quote's characters found on the page
    marked_text: str = ""    # the page's own characters that were marked, in PDFium's order

    def to_dict(self) -> dict:
        return {"page_size": [round(self.page_width, 2), round(self.page_height, 2)],
                "boxes": [[round(v, 2) for v in b] for b in self.boxes],
                "coverage": round(self.coverage, 3)}


def _get(c, key, default=None):
    return c.get(key, default) if isinstance(c, dict) else getattr(c, key, default)


def locate_quote(page_text: str | None, quote: str, start: int = 0, end: int = 0) -> tuple[int, int] | None:
    """The quote's offsets in ``page_text``: the recorded ones when they still hold, else its
    first occurrence; None when it is not there."""
    if not page_text or not quote:
        return None
    if 0 <= start < end <= len(page_text) and page_text[start:end] == quote:
        return start, end
    i = page_text.find(quote)
    return (i, i + len(quote)) if i >= 0 else None


class PageImages:
    """Page images and quote boxes for the PDFs in one index's catalog."""

    def __init__(self, catalog, root: Path, width: int = RENDER_WIDTH):
        self.catalog = catalog
        self.root = Path(root)
        self.width = int(width)
        self._lock = threading.Lock()
        self._docs: OrderedDict[str, object] = OrderedDict()     # sha -> open PdfDocument
        self._chars: OrderedDict[tuple, str] = OrderedDict()     # (sha, page) -> PDFium's characters
        self._boxes: OrderedDict[tuple, QuoteBoxes | None] = OrderedDict()
        self._verified: dict[tuple, str] = {}                    # (path, size, mtime) -> sha256

    # -- documents ---------------------------------------------------------------------
    def pdf_document(self, doc_id: str) -> dict:
        """The catalog row of an indexed PDF whose file is still the one indexed."""
        doc = self.catalog.document(doc_id)
        if doc is None:
            raise PageImageError(f"no document {doc_id!r} in the index")
        if doc.get("format") != "pdf":
            raise PageImageError(f"document {doc_id!r} is not a PDF ({doc.get('format') or 'unknown format'}); "
                                 "page images are made for PDFs only")
        path = Path(doc.get("source") or "")
        try:
            st = path.stat()
        except OSError:
            raise PageImageError(f"{path}: the PDF of document {doc_id!r} is no longer there "
                                 "(moved or deleted since it was indexed)") from None
        key = (str(path), st.st_size, st.st_mtime_ns)
        sha = self._verified.get(key)
        if sha is None:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            sha = self._verified[key] = h.hexdigest()
        if sha != doc["sha256"]:
            raise PageImageError(f"{path}: the file changed since document {doc_id!r} was indexed; "
                                 f"run `rag ingest {path}` again")
        return doc

    def _open(self, doc: dict):
        import pypdfium2 as pdfium

        sha = doc["sha256"]
        pdf = self._docs.get(sha)
        if pdf is None:
            try:
                pdf = pdfium.PdfDocument(doc["source"], password="")
            except Exception as e:
                raise PageImageError(f"{doc['source']}: cannot open the PDF ({e})") from None
            self._docs[sha] = pdf
            while len(self._docs) > 4:
                self._docs.popitem(last=False)[1].close()
        self._docs.move_to_end(sha)
        return pdf

    def _page(self, doc: dict, page: int):
        pdf = self._open(doc)
        if not isinstance(page, int) or not 1 <= page <= len(pdf):
            raise PageImageError(f"{doc['source']}: no page {page!r} (the PDF has pages 1-{len(pdf)})")
        return pdf[page - 1]

    # -- rendering ---------------------------------------------------------------------
    def png_path(self, doc_id: str, page: int) -> Path:
        """The page as a PNG file (rendered now unless cached)."""
        doc = self.pdf_document(doc_id)
        path = self.root / doc["sha256"] / f"p{int(page):04d}-w{self.width}.png"
        if path.is_file():
            return path
        data = encode_png(self._render(doc, page))
        fresh = not path.parent.is_dir()
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            part.write_bytes(data)
            os.replace(part, path)      # readers see a whole file or none
        finally:
            part.unlink(missing_ok=True)
        if fresh:
            self.prune()
        return path

    def _render(self, doc: dict, page: int) -> np.ndarray:
        with _PDFIUM_LOCK:
            p = self._page(doc, page)
            bitmap = p.render(scale=self.width / p.get_width(), rev_byteorder=True, may_draw_forms=True)
            arr = bitmap.to_numpy()
            arr = np.array(arr[:, :, :3] if arr.ndim == 3 else np.repeat(arr[:, :, None], 3, axis=2))
            p.close()
        return arr

    def image(self, doc_id: str, page: int, highlight=None) -> bytes:
        """PNG bytes of the page; with ``highlight`` (a Citation or its dict, on this page), the
        quote is marked."""
        doc = self.pdf_document(doc_id)
        if highlight is None:
            return self.png_path(doc_id, page).read_bytes()
        if _get(highlight, "doc_id") != doc_id or _get(highlight, "page") != page:
            raise PageImageError(f"the highlight quotes {_get(highlight, 'doc_id')!r} page {_get(highlight, 'page')}, "
                                 f"not {doc_id!r} page {page}")
        arr = self._render(doc, page)
        qb = self.quote_boxes(highlight)
        if qb is not None and qb.boxes:
            draw_boxes(arr, qb.boxes, arr.shape[1] / qb.page_width)
        return encode_png(arr)

    # -- quotes ------------------------------------------------------------------------
    def quote_boxes(self, citation) -> QuoteBoxes | None:
        """Where the citation's quote is on its PDF page; None for other documents. The boxes
        are empty when the quote cannot be found there (``coverage`` says how much was)."""
        doc_id, page = _get(citation, "doc_id"), _get(citation, "page")
        doc = self.catalog.document(doc_id) if doc_id else None
        if doc is None or doc.get("format") != "pdf" or not page:
            return None
        doc = self.pdf_document(doc_id)
        page_text = self.catalog.page_text(doc_id, page)
        span = locate_quote(page_text, _get(citation, "quote") or "", int(_get(citation, "start") or 0),
                            int(_get(citation, "end") or 0))
        key = (doc["sha256"], page, span, len(page_text or ""))
        with self._lock:
            if key in self._boxes:
                self._boxes.move_to_end(key)
                return self._boxes[key]
        result = self._find_boxes(doc, page, page_text, span)
        with self._lock:
            self._boxes[key] = result
            while len(self._boxes) > 512:
                self._boxes.popitem(last=False)
        return result

    def _find_boxes(self, doc: dict, page: int, page_text: str | None, span) -> QuoteBoxes:
        with _PDFIUM_LOCK:
            p = self._page(doc, page)
            try:
                width, height = p.get_size()
                tp = p.get_textpage()
                try:
                    chars = self._page_chars(doc["sha256"], page, tp)
                    if span is None:
                        return QuoteBoxes(page, width, height)
                    found = align(page_text, span[0], span[1], chars)
                    if found.coverage < MIN_COVERAGE:
                        return QuoteBoxes(page, width, height, [], found.coverage)
                    boxes = _line_boxes(p, tp, chars, found.target, width, height)
                finally:
                    tp.close()
            finally:
                p.close()
        return QuoteBoxes(page, width, height, boxes, found.coverage, "".join(chars[i] for i in found.target))

    def _page_chars(self, sha: str, page: int, tp) -> str:
        import pypdfium2.raw as pdfium_c

        key = (sha, page)
        chars = self._chars.get(key)
        if chars is None:
            # one character per PDFium index (get_text_range may differ in length: surrogates)
            chars = "".join(chr(pdfium_c.FPDFText_GetUnicode(tp, i) or 0xFFFD) for i in range(tp.count_chars()))
            self._chars[key] = chars
            while len(self._chars) > 32:
                self._chars.popitem(last=False)
        return chars

    # -- cache -----------------------------------------------------------------------
    def prune(self) -> None:
        """Delete the images of files no longer indexed (removed or replaced documents)."""
        if not self.root.is_dir():
            return
        live = {d["sha256"] for d in self.catalog.documents()}
        for entry in self.root.iterdir():
            if entry.is_dir() and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)

    def close(self) -> None:
        with _PDFIUM_LOCK:
            while self._docs:
                self._docs.popitem()[1].close()


# -- geometry --------------------------------------------------------------------------
_DEVICE_SCALE = 64   # FPDF_PageToDevice gives integers: map onto a 64x finer grid


def _to_display(page, width: float, height: float):
    """Page space (PDF user space, origin bottom left) -> points from the top left of the page
    as displayed (rotation and crop box applied, as the renderer does)."""
    import pypdfium2.raw as pdfium_c

    sx, sy = int(round(width * _DEVICE_SCALE)), int(round(height * _DEVICE_SCALE))
    dx, dy = ctypes.c_int(), ctypes.c_int()

    def conv(x: float, y: float) -> tuple[float, float]:
        pdfium_c.FPDF_PageToDevice(page, 0, 0, sx, sy, 0, x, y, dx, dy)
        return dx.value / _DEVICE_SCALE, dy.value / _DEVICE_SCALE

    return conv


def _line_boxes(page, tp, chars: str, indices: list[int], width: float, height: float) -> list[list[float]]:
    """One box per run of the quote's characters along one line (table cells far apart get their
    own). Lines run left to right, or top to bottom / bottom to top on a rotated page."""
    conv = _to_display(page, width, height)
    boxes: list[list[float]] = []
    cur, direction = None, None
    for i in indices:
        if chars[i].isspace() or ord(chars[i]) < 32:
            continue
        try:
            left, bottom, right, top = tp.get_charbox(i, loose=True)
        except Exception:
            continue
        (ax, ay), (bx, by) = conv(left, top), conv(right, bottom)
        b = [min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)]
        if b[2] - b[0] <= 0 or b[3] - b[1] <= 0:
            continue
        step = _next_on_line(cur, b, direction) if cur is not None else None
        if step is not None:
            direction = step
            cur[0], cur[1], cur[2], cur[3] = min(cur[0], b[0]), min(cur[1], b[1]), max(cur[2], b[2]), max(cur[3], b[3])
            continue
        cur, direction = list(b), None
        boxes.append(cur)
    return [[max(0.0, x0 - BOX_PAD), max(0.0, y0 - BOX_PAD), min(width, x1 + BOX_PAD), min(height, y1 + BOX_PAD)]
            for x0, y0, x1, y1 in boxes]


def _next_on_line(cur: list[float], b: list[float], direction: str | None) -> str | None:
    """'h' or 'v' when ``b`` goes on along the line of ``cur`` (a word space away at most, not a
    jump to another column or line), given the line's direction once known; else None."""
    def along(lo0, hi0, lo1, hi1, across_lo0, across_hi0, across_lo1, across_hi1):
        thick = min(across_hi0 - across_lo0, across_hi1 - across_lo1)
        overlap = min(across_hi0, across_hi1) - max(across_lo0, across_lo1)
        gap = max(lo1 - hi0, lo0 - hi1)
        return overlap >= 0.5 * thick and gap <= 1.2 * thick

    if direction in (None, "h") and along(cur[0], cur[2], b[0], b[2], cur[1], cur[3], b[1], b[3]) \
            and b[0] >= cur[0] - 0.5 * (b[3] - b[1]):
        return "h"
    if direction in (None, "v") and along(cur[1], cur[3], b[1], b[3], cur[0], cur[2], b[0], b[2]):
        return "v"
    return None


def draw_boxes(arr: np.ndarray, boxes: list[list[float]], scale: float) -> None:
    """Multiply a translucent highlighter colour into ``arr`` (H x W x 3, RGB) over each box
    given in points; ``scale`` is pixels per point."""
    tint = 1.0 - HIGHLIGHT_ALPHA + HIGHLIGHT_ALPHA * np.asarray(HIGHLIGHT_RGB, dtype=np.float32) / 255.0
    h, w = arr.shape[:2]
    for x0, y0, x1, y1 in boxes:
        a, b = max(0, int(x0 * scale)), min(w, int(np.ceil(x1 * scale)))
        c, d = max(0, int(y0 * scale)), min(h, int(np.ceil(y1 * scale)))
        if a < b and c < d:
            arr[c:d, a:b] = (arr[c:d, a:b].astype(np.float32) * tint).astype(np.uint8)


def encode_png(arr: np.ndarray, level: int = _PNG_LEVEL) -> bytes:
    """RGB (H x W x 3, uint8) -> PNG bytes (8-bit truecolour, no filter)."""
    h, w = arr.shape[:2]
    rows = np.empty((h, w * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = np.ascontiguousarray(arr, dtype=np.uint8).reshape(h, w * 3)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + chunk(b"IEND", b""))
