"""Cited PDF pages as images: Assistant.page_image / quote_boxes and `rag ask --json` over a real
index on disk (fpdf2-made PDFs, one of them rotated), the cache under <index>/pages/, and the errors."""
from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from itest_support import PDF_PAGES, build_pdf, run_rag
from rag.page_images import PageImageError, encode_png

DOC_ID = "northwind-review"
QUESTION = "How many turbines did the Zephyr plant in Lyon produce in 2023?"


def png_array(data: bytes) -> np.ndarray:
    from PIL import Image

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def highlighted(arr: np.ndarray) -> np.ndarray:
    """Pixels of the highlighter colour: strong red and green, little blue (the page is black on white)."""
    r, g, b = (arr[..., i].astype(int) for i in range(3))
    return (r - b > 60) & (g - b > 40)


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory, shared_embedder):
    from rag import Assistant

    root = tmp_path_factory.mktemp("page-images")
    pdf = build_pdf(root / f"{DOC_ID}.pdf")
    a = Assistant(index_dir=root / "index", embedder=shared_embedder)
    assert a.ingest([pdf]).ok
    yield a
    a.close()


def cited(a, question=QUESTION):
    ans = a.ask(question)
    c = next(c for c in ans.citations if "4,200 turbines" in c.quote)
    assert c.doc_id == DOC_ID and c.page == 2
    return c


def test_quote_boxes_cover_the_quoted_line_in_page_coordinates(pdf_index):
    c = cited(pdf_index)
    qb = pdf_index.quote_boxes(c)
    assert qb.coverage == 1.0 and qb.boxes
    assert (qb.page_width, qb.page_height) == pytest.approx((595.28, 841.89), abs=0.1)   # A4 in points
    # fpdf2 writes the page's text from the 10 mm left margin plus its 1 mm cell margin, below
    # the running header; boxes have 1 pt of padding
    x0, top, x1, bottom = qb.boxes[0]
    assert x0 == pytest.approx(28.35 + 2.83 - 1, abs=0.5) and 40 < top < 120 and 12 < bottom - top < 18   # one line of 12 pt type
    assert "4,200 turbines" in qb.marked_text.replace("\r\n", " ")
    d = qb.to_dict()
    assert set(d) == {"page_size", "boxes", "coverage"} and len(d["boxes"][0]) == 4


def test_page_image_marks_the_quote_where_its_boxes_are(pdf_index):
    c = cited(pdf_index)
    plain = png_array(pdf_index.page_image(DOC_ID, 2))
    marked = png_array(pdf_index.page_image(DOC_ID, 2, highlight=c))
    assert plain.shape == marked.shape and plain.shape[1] == 1000
    assert not highlighted(plain).any()
    ys, xs = np.nonzero(highlighted(marked))
    assert len(ys) > 1000
    qb = pdf_index.quote_boxes(c)
    scale = plain.shape[1] / qb.page_width
    inside = np.zeros(plain.shape[:2], bool)
    for x0, y0, x1, y1 in qb.boxes:
        inside[int(y0 * scale):int(np.ceil(y1 * scale)), int(x0 * scale):int(np.ceil(x1 * scale))] = True
    assert inside[ys, xs].all(), "highlight outside the quote's boxes"
    # and the boxes hold the quote's ink: dark pixels of the plain page
    ink = plain.min(axis=2) < 128
    assert ink[inside].sum() > 200
    # the dict form of a citation works too, and so does a citation from `rag ask --json`
    assert pdf_index.page_image(DOC_ID, 2, highlight=c.to_dict()) == pdf_index.page_image(DOC_ID, 2, highlight=c)


def test_rendered_pages_are_cached_under_the_index(pdf_index):
    c = cited(pdf_index)
    doc = pdf_index.store.catalog.document(DOC_ID)
    cache = pdf_index.index_dir / "pages" / doc["sha256"]
    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    path = pdf_index.page_images.png_path(DOC_ID, 2)
    cold = time.perf_counter() - t0
    assert path.parent == cache and path.is_file()
    t0 = time.perf_counter()
    assert pdf_index.page_images.png_path(DOC_ID, 2) == path
    pdf_index.quote_boxes(c)
    cached = time.perf_counter() - t0
    print(f"\npage render cold {cold * 1000:.0f} ms, cached {cached * 1000:.1f} ms")
    assert pdf_index.page_image(DOC_ID, 2) == path.read_bytes()


def test_rotated_page_boxes_follow_the_rotation(tmp_path, shared_embedder):
    from pypdf import PdfReader, PdfWriter

    from rag import Assistant

    upright = build_pdf(tmp_path / "upright.pdf")
    writer = PdfWriter()
    for page in PdfReader(upright).pages:
        writer.add_page(page)
    writer.pages[1].rotate(90)
    with open(tmp_path / "turned.pdf", "wb") as f:
        writer.write(f)
    a = Assistant(index_dir=tmp_path / "index", embedder=shared_embedder)
    try:
        assert a.ingest([upright, tmp_path / "turned.pdf"]).ok
        text = a.page_text("turned", 2)
        s = text.index("The Zephyr plant")
        e = text.index(".", s) + 1
        quote = {"doc_id": "turned", "page": 2, "quote": text[s:e], "start": s, "end": e}
        up = a.quote_boxes({**quote, "doc_id": "upright"})
        turned = a.quote_boxes(quote)
        assert (turned.page_width, turned.page_height) == pytest.approx((up.page_height, up.page_width), abs=0.1)
        # 90 degrees clockwise: (x, y) from the top left of the upright page -> (H - y, x)
        H = up.page_height
        expect = [[H - y1, x0, H - y0, x1] for x0, y0, x1, y1 in up.boxes]
        assert np.allclose(turned.boxes, expect, atol=1.0), (turned.boxes, expect)
        arr = png_array(a.page_image("turned", 2, highlight=quote))
        assert arr.shape[1] == 1000 and arr.shape[0] < arr.shape[1]      # landscape as displayed
        ys, xs = np.nonzero(highlighted(arr))
        scale = arr.shape[1] / turned.page_width
        x0, y0, x1, y1 = (v * scale for v in turned.boxes[0])
        assert len(xs) and x0 - 2 <= xs.min() and xs.max() <= x1 + 2 and y0 - 2 <= ys.min() and ys.max() <= y1 + 2
    finally:
        a.close()


def test_rag_ask_json_carries_the_quote_boxes(pdf_index):
    out = run_rag("--index", str(pdf_index.index_dir), "ask", QUESTION, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    c = next(c for c in data["citations"] if "4,200 turbines" in c["quote"])
    assert c["page"] == 2 and c["page_size"] == pytest.approx([595.28, 841.89], abs=0.1)
    assert np.allclose(c["boxes"], pdf_index.quote_boxes(cited(pdf_index)).to_dict()["boxes"])
    assert c["coverage"] == 1.0


def test_text_documents_have_no_boxes_and_errors_name_the_problem(pdf_index, tmp_path, shared_embedder):
    from rag import Assistant

    note = tmp_path / "memo.txt"
    note.write_text("The memo says the Quokka Harbor plant stores tapes.", encoding="utf-8")
    changed = build_pdf(tmp_path / "changing.pdf")
    a = Assistant(index_dir=tmp_path / "index", embedder=shared_embedder)
    try:
        assert a.ingest([note, changed]).ok
        assert a.quote_boxes({"doc_id": "memo", "page": None, "quote": "The memo", "start": 0, "end": 8}) is None
        with pytest.raises(PageImageError, match="'memo' is not a PDF"):
            a.page_image("memo", 1)
        with pytest.raises(PageImageError, match="no document 'nope'"):
            a.page_image("nope", 1)
        with pytest.raises(PageImageError, match=r"changing\.pdf: no page 9 \(the PDF has pages 1-3\)"):
            a.page_image("changing", 9)
        build_pdf(changed, pages=[p.upper() for p in PDF_PAGES])       # edited after ingest
        with pytest.raises(PageImageError, match=r"changing\.pdf: the file changed since .* `rag ingest"):
            a.page_image("changing", 1)
        changed.unlink()
        with pytest.raises(PageImageError, match=r"changing\.pdf: the PDF of document 'changing' is no longer there"):
            a.page_image("changing", 1)
    finally:
        a.close()


def test_removing_a_document_deletes_its_page_images(tmp_path, shared_embedder):
    from rag import Assistant

    pdf = build_pdf(tmp_path / "gone.pdf")
    a = Assistant(index_dir=tmp_path / "index", embedder=shared_embedder)
    try:
        assert a.ingest([pdf]).ok
        path = a.page_images.png_path("gone", 1)
        assert path.is_file()
        assert a.remove("gone")
        assert not path.parent.exists()
    finally:
        a.close()


def test_png_encoder_round_trips():
    from PIL import Image

    arr = (np.arange(5 * 7 * 3) % 256).astype(np.uint8).reshape(5, 7, 3)
    assert (np.asarray(Image.open(io.BytesIO(encode_png(arr)))) == arr).all()
