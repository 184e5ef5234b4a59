"""Page numbers: a 3-page PDF built with fpdf2, the fact on page 2 must be cited as page 2."""
from __future__ import annotations

import pytest

from itest_support import PDF_HEADER, build_pdf, check_citation_verbatim

DOC_ID = "northwind-review"


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory, shared_embedder):
    from rag import Assistant

    root = tmp_path_factory.mktemp("pdf-index")
    pdf = build_pdf(root / f"{DOC_ID}.pdf")
    a = Assistant(index_dir=root / "index", embedder=shared_embedder)
    [r] = a.ingest([pdf]).results
    assert (r.status, r.doc_id, r.pages) == ("added", DOC_ID, 3), r.line()
    yield a
    a.close()


@pytest.mark.parametrize("question", [
    "How many turbines did the Zephyr plant in Lyon produce in 2023?",
    "What did the Zephyr plant produce in 2023?",
    "Zephyr 工厂 2023 年生产了多少台涡轮机？",
])
def test_fact_on_page_two_is_cited_as_page_two(pdf_index, question):
    ans = pdf_index.ask(question)
    assert not ans.abstained, (ans.text, ans.notices)
    assert "4,200 turbines" in ans.text
    hits = [c for c in ans.citations if "4,200 turbines" in c.quote]
    assert hits, [(c.page, c.quote) for c in ans.citations]
    for c in hits:
        assert c.doc_id == DOC_ID
        assert c.page == 2
        assert isinstance(c.page, int)
        assert c.source.endswith(f"{DOC_ID}.pdf")
    for c in ans.citations:
        check_citation_verbatim(pdf_index, c)


def test_other_pages_cited_with_their_numbers(pdf_index):
    ans = pdf_index.ask("What dividend did the board approve?")
    assert not ans.abstained, (ans.text, ans.notices)
    hits = [c for c in ans.citations if "1.20 euros per share" in c.quote]
    assert hits and all(c.page == 3 for c in hits)
    for c in ans.citations:
        check_citation_verbatim(pdf_index, c)


def test_stored_pages_hold_their_own_text_without_running_header(pdf_index):
    pages = [pdf_index.page_text(DOC_ID, n) for n in (1, 2, 3)]
    assert all(pages)
    assert "Zephyr" in pages[1] and "Zephyr" not in pages[0] and "Zephyr" not in pages[2]
    assert pages[1].startswith("The Zephyr plant in Lyon produced 4,200 turbines in 2023.")
    assert "dividend" in pages[2]
    for text in pages:
        assert PDF_HEADER not in text  # repeated on every page: removed as a running header
    assert pdf_index.page_text(DOC_ID, 4) is None
    assert pdf_index.page_text(DOC_ID, None) is None


def test_pdf_document_metadata(pdf_index):
    [d] = pdf_index.sources()
    assert d["doc_id"] == DOC_ID and d["pages"] == 3 and d["format"] == "pdf"
    assert d["meta"]["language"] == "en"
