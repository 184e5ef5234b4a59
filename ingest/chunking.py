"""Sentence-aligned chunks that remember exactly where they came from.

A chunk never crosses a page (a citation names one page) and never cuts a
sentence. Consecutive chunks share ``overlap`` sentences so a fact stated across
a chunk boundary is still retrievable. Offsets index the cleaned page text, which
the store keeps, so a quote can be highlighted in place.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .headings import page_contexts
from .loaders import Page
from .sentences import split_sentences
from .tables import TableContext


@dataclass(frozen=True)
class Chunk:
    page: int | None
    start: int  # offset into the page text
    end: int
    text: str
    index: int  # position of the chunk in the document
    # where the chunk sits, when its text does not say: section and page title (ingest/headings.py),
    # and the header of the table it starts in (periods, units)
    context: str = ""

    @property
    def indexed_text(self) -> str:
        """What is embedded and keyword-indexed: the text under its context (a chunk cut from a table with
        the table's header: periods, units); the stored text stays the verbatim page span citations quote."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    def chunk_id(self, doc_id: str, version: str) -> str:
        """Deterministic: same document content -> same ids."""
        key = f"{doc_id}\x1f{version}\x1f{self.page}\x1f{self.start}\x1f{self.end}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def _budget(text: str) -> float:
    """Size in rough 'tokens': CJK characters count ~1, Latin words ~1.3 per 5 chars."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk + (len(text) - cjk) / 4.0


def chunk_pages(pages: list[Page], max_size: float = 160.0, overlap: int = 1) -> list[Chunk]:
    chunks: list[Chunk] = []
    places = page_contexts([p.text for p in pages])
    for page, place in zip(pages, places):
        spans = _limit_long(page.text, split_sentences(page.text), max_size)
        tables = TableContext(page.text)
        where = place.text()
        i = 0
        while i < len(spans):
            j = i
            size = 0.0
            while j < len(spans):
                s = _budget(page.text[spans[j][0] : spans[j][1]])
                if j > i and size + s > max_size:
                    break
                size += s
                j += 1
            start, end = spans[i][0], spans[j - 1][1]
            text = page.text[start:end]
            chunks.append(Chunk(page.number, start, end, text, len(chunks),
                                _context(where, tables.for_span(start), text)))
            if j >= len(spans):
                break
            i = max(i + 1, j - overlap)
    return chunks


def _context(where: str, table_header: str, text: str) -> str:
    """Section/page title and table header, less what the chunk's own text already says."""
    parts: list[str] = []
    for piece in [*where.split(" · "), table_header]:
        if piece and piece not in text and not any(piece in p for p in parts):
            parts = [p for p in parts if p not in piece] + [piece]
    return " · ".join(parts)


def _limit_long(text: str, spans: list[tuple[int, int]], max_size: float) -> list[tuple[int, int]]:
    """Split a pathological 'sentence' (a 5 MB line, a giant table) into bounded windows."""
    out = []
    for a, b in spans:
        size = _budget(text[a:b])
        if size <= max_size * 1.5:
            out.append((a, b))
            continue
        limit = max(40, int(max_size * (b - a) / size))  # characters per window of max_size
        pos = a
        while pos < b:
            end = min(b, pos + limit)
            if end < b:  # prefer a space or CJK comma as the cut
                cut = max(text.rfind(" ", pos + limit // 2, end), text.rfind("，", pos + limit // 2, end))
                if cut > pos:
                    end = cut + 1
            out.append((pos, end))
            pos = end
    return [(a, b) for a, b in (_trim(text, a, b) for a, b in out) if b > a]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
