"""How many quotes can be marked on real disclosures: sentences sampled from the stored page text
of English earnings releases, 10-K/10-Q filings, the 296-page Chinese bank annual report and two
Chinese A-share annual reports, located among PDFium's characters (rag/page_images.py).

The page text is what ingest stores: the whole ingest pipeline (``load_pages``) for the earnings
releases; for the long reports, the sampled pages extracted with pypdf and cleaned the same way
(only the running-header removal, which needs every page, is left out: it only deletes lines),
so the test takes seconds, not minutes. The pages go into a real catalog on disk.
"""
from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest

from ingest import load_pages
from ingest.cleaning import clean_text
from ingest.manifest import sha256_of
from ingest.sentences import split_sentences
from rag.catalog import Catalog
from rag.page_images import PageImages
from rag.text_alignment import key_of

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("RAG_SHARED_CORPUS") or (REPO.parent / "shared" / "corpus"))
BENCH = SHARED.parent / "benchmarks"

WHOLE = ["COSTCO_2023Q3_EARNINGS.pdf", "EBAY_2023Q2_EARNINGS.pdf", "INTEL_2023Q1_EARNINGS.pdf",
         "MCDONALDS_2023Q2_EARNINGS.pdf"]
SAMPLED = [SHARED / "pingan-bank-2024-annual-report-zh.pdf",
           BENCH / "findoc-zh-dev/pdfs/compass-2025-annual-report.pdf",
           BENCH / "findoc-zh-dev/pdfs/shaanxi-intl-trust-2025-annual-report.pdf",
           BENCH / "financebench-dev/pdfs/3M_2022_10K.pdf",
           BENCH / "financebench-dev/pdfs/JPMORGAN_2021Q1_10Q.pdf",
           BENCH / "financebench-dev/pdfs/AMCOR_2023Q4_EARNINGS.pdf"]
PAGES_PER_DOC = 6
QUOTES_PER_PAGE = 5


def _sampled_pages(path: Path, rng: random.Random) -> list[tuple[int, str]]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    numbers = sorted(rng.sample(range(1, len(reader.pages) + 1), PAGES_PER_DOC))
    return [(n, clean_text(reader.pages[n - 1].extract_text() or "")) for n in numbers]


def _catalog_with(tmp_path: Path, path: Path, pages: list[tuple[int, str]]) -> tuple[Catalog, str]:
    catalog = Catalog(tmp_path / path.stem / "catalog.sqlite")
    doc_id = path.stem.lower()
    catalog.commit_document({"doc_id": doc_id, "version": "v1", "sha256": sha256_of(path), "source": str(path),
                             "format": "pdf", "pages": len(pages), "chunks": 0, "added_at": "", "updated_at": "",
                             "meta": {}}, pages, [])
    return catalog, doc_id


def _same_characters(a: str, b: str) -> float:
    """Share of the quote's visible characters among those marked (order ignored: PDFium may read
    a table row in another order than pypdf)."""
    qa, qb = Counter(key_of(a).chars), Counter(key_of(b).chars)
    return sum((qa & qb).values()) / max(1, sum(qa.values()), sum(qb.values()))


def test_nearly_every_sampled_quote_is_boxed(tmp_path):
    docs = [SHARED / n for n in WHOLE] + SAMPLED
    missing = [str(p) for p in docs if not p.is_file()]
    if missing:
        pytest.skip(f"shared documents not found: {missing[:3]} (set RAG_SHARED_CORPUS)")
    rng = random.Random(17)
    report, failures = [], []
    total_quotes = total_boxed = 0
    for path in docs:
        if path.name in WHOLE:
            pages = [(p.number, p.text) for p in load_pages(path)]
            pages = rng.sample(pages, min(PAGES_PER_DOC, len(pages)))
        else:
            pages = _sampled_pages(path, rng)
        catalog, doc_id = _catalog_with(tmp_path, path, pages)
        images = PageImages(catalog, tmp_path / "pages")
        quotes = boxed = 0
        for number, text in pages:
            spans = [(a, b) for a, b in split_sentences(text) if len(key_of(text, a, b).chars) >= 12]
            for a, b in rng.sample(spans, min(QUOTES_PER_PAGE, len(spans))):
                quotes += 1
                qb = images.quote_boxes({"doc_id": doc_id, "page": number, "quote": text[a:b], "start": a, "end": b})
                ok = bool(qb.boxes) and _same_characters(text[a:b], qb.marked_text) >= 0.9
                ok = ok and all(0 <= x0 < x1 <= qb.page_width and 0 <= y0 < y1 <= qb.page_height
                                for x0, y0, x1, y1 in qb.boxes)
                boxed += ok
                if not ok:
                    failures.append((path.name, number, round(qb.coverage, 2), text[a:b][:70], qb.marked_text[:70]))
        images.close()
        catalog.close()
        report.append(f"{path.name}: {boxed}/{quotes}")
        total_quotes += quotes
        total_boxed += boxed
    print(f"\nquotes boxed: {total_boxed}/{total_quotes} ({total_boxed / total_quotes:.1%}); " + "; ".join(report))
    for f in failures:
        print("  not boxed:", f)
    assert total_quotes >= 200
    assert total_boxed >= 0.97 * total_quotes, failures[:10]
