"""The parts of a document that metadata is read from, with page numbers for the evidence.

Inference needs the first pages (covers, title lines, datelines, the SEC cover, an A-share
report's 公司信息) and, for Chinese reports, the 释义 (definitions) section wherever it is.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..patterns import CJK_RANGES

HEAD_PAGES = 16          # pages read for covers, 公司信息 and first-page conventions
HEAD_CHARS = 60000


def squash_cjk_spaces(s: str) -> str:
    """pypdf puts spaces between CJK and digits ('2024 年年度报告') and before a share-class letter
    ('示例科技 A'): remove them."""
    return re.sub(rf"(?<=[{CJK_RANGES}\d])[ \t]+(?=[{CJK_RANGES}])|(?<=[{CJK_RANGES}])[ \t]+(?=\d|[A-Z](?![A-Za-z]))",
                  "", s)


@dataclass
class Found:
    """One inferred value and where it was read: page (None: the file name or the whole text) and text."""
    value: object
    where: str                  # what was read: "SEC cover 'Exact name of registrant'", "headline", …
    page: int | None = None
    text: str = ""

    def evidence(self) -> str:
        quote = re.sub(r"\s+", " ", self.text).strip()
        if len(quote) > 90:
            quote = quote[:87] + "…"
        at = f"p.{self.page} " if self.page else ""
        return f"{at}{self.where}" + (f": '{quote}'" if quote else "")


@dataclass
class Inference:
    fields: dict = field(default_factory=dict)     # field -> value
    evidence: dict = field(default_factory=dict)   # field -> where it came from (page and text)

    def set(self, name: str, value, evidence) -> None:
        if value in (None, "", [], ()):
            return
        self.fields[name] = value
        ev = evidence.evidence() if isinstance(evidence, Found) else str(evidence)
        self.evidence[name] = ev[:160]


@dataclass
class DocView:
    path: Path
    pages: list[tuple[int | None, str]]     # NFKC, CJK spacing squashed; the first HEAD_PAGES pages
    cover_raw: str                          # a PDF's first page before running lines were removed
    created: str                            # PDF creation date (ISO) or ""
    head: str                               # cover_raw + the first pages, joined
    starts: list[tuple[int, int | None]]    # (offset in head, page number)
    all_pages: list                         # every page as loaded (for 释义 and closing signatures)

    @staticmethod
    def build(path: str | Path, pages: list, pdf_cover: tuple[str, str] | None = None) -> "DocView":
        path = Path(path)
        cover_raw, created = "", ""
        if path.suffix.lower() == ".pdf":
            cover_raw, created = pdf_cover if pdf_cover is not None else pdf_first_page(path)
            cover_raw = squash_cjk_spaces(unicodedata.normalize("NFKC", cover_raw or ""))
        first = [(getattr(p, "number", None), squash_cjk_spaces(unicodedata.normalize("NFKC", p.text or "")))
                 for p in pages[:HEAD_PAGES]]
        parts, starts, pos = [], [], 0
        if cover_raw:
            starts.append((0, first[0][0] if first else 1))
            parts.append(cover_raw + "\n")
            pos += len(cover_raw) + 1
        for n, t in first:
            starts.append((pos, n))
            parts.append(t + "\n")
            pos += len(t) + 1
        head = "".join(parts)[:HEAD_CHARS]
        return DocView(path, first, cover_raw, created, head, starts, list(pages))

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, n in self.starts:
            if start > offset:
                break
            page = n
        return page

    def found(self, value, where: str, offset: int | None = None, text: str = "") -> Found:
        return Found(value, where, self.page_at(offset) if offset is not None else None, text)

    def cover_lines(self, n: int = 14) -> list[tuple[str, int]]:
        """The first ``n`` non-empty lines of the head with their offsets."""
        out = []
        pos = 0
        for ln in self.head.split("\n"):
            s = ln.strip(" #|*\t")
            if s:
                out.append((s, pos + ln.find(s)))
            pos += len(ln) + 1
            if len(out) >= n:
                break
        return out

    def text_of_pages(self, first: int = 0, last: int | None = None) -> str:
        return "\n".join(t for _, t in self.pages[first:last])

    def tail(self, chars: int = 3000) -> str:
        last = self.all_pages[-1].text if self.all_pages else ""
        return squash_cjk_spaces(unicodedata.normalize("NFKC", last))[-chars:]


def pdf_first_page(path: Path) -> tuple[str, str]:
    """Raw text of a PDF's first page (before running lines are removed) and its creation date."""
    try:
        import logging

        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        r = PdfReader(str(path))
        text = (r.pages[0].extract_text() or "") if r.pages else ""
        created = ""
        raw = str((r.metadata or {}).get("/CreationDate", "") or "")
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})", raw)
        if m:
            created = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        return text, created
    except Exception:
        return "", ""
