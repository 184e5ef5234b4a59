"""File -> pages of cleaned text (ingest/loaders.py), including the one-line failure reasons."""
from __future__ import annotations

import random

import pytest

from ingest.errors import IngestError
from ingest.loaders import Page, load_pages

ZH = "阿里巴巴宣布在巴西、法国和荷兰开设数据中心。云服务收入同比增长约26%。"


def test_gbk_encoded_chinese_decodes(tmp_path):
    f = tmp_path / "gbk.txt"
    f.write_bytes(ZH.encode("gbk"))
    assert load_pages(f) == [Page(None, ZH)]


def test_gb18030_encoded_chinese_decodes(tmp_path):
    text = "腾讯控股公布第三季度业绩。" * 3 + "\n" + ZH
    f = tmp_path / "gb18030.txt"
    f.write_bytes(text.encode("gb18030"))
    assert load_pages(f) == [Page(None, text)]


def test_utf8_bom_stripped(tmp_path):
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbf" + "BOM text here. 中文内容。".encode("utf-8"))
    pages = load_pages(f)
    assert pages == [Page(None, "BOM text here. 中文内容。")]
    assert not pages[0].text.startswith("\ufeff")


def test_utf16_with_bom_decodes(tmp_path):
    f = tmp_path / "u16.txt"
    f.write_bytes("Revenue rose 5%. 收入增长。".encode("utf-16"))
    assert load_pages(f) == [Page(None, "Revenue rose 5%. 收入增长。")]


def test_markdown_page_separator_gives_numbered_pages(tmp_path):
    f = tmp_path / "report.md"
    f.write_text("# Report\n\nFirst page talks about **revenue**.\n\n---\n\n"
                 "Second page has a [link](http://example.com) about margins.\n\n---\n\nThird page.\n",
                 encoding="utf-8")
    pages = load_pages(f, page_separator="---")
    assert [p.number for p in pages] == [1, 2, 3]
    assert pages[0].text == "Report\n\nFirst page talks about revenue."
    assert pages[1].text == "Second page has a link about margins."
    assert pages[2].text == "Third page."


def test_markdown_without_separator_is_one_unnumbered_page(tmp_path):
    f = tmp_path / "report.md"
    f.write_text("# Title\n\nPara one.\n\n---\n\nPara two.\n", encoding="utf-8")
    pages = load_pages(f)
    assert len(pages) == 1 and pages[0].number is None
    assert "Para one." in pages[0].text and "Para two." in pages[0].text
    assert "---" not in pages[0].text and "#" not in pages[0].text


def test_form_feed_separates_pages_in_text(tmp_path):
    f = tmp_path / "ff.txt"
    f.write_text("first page text.\fsecond page text.\f third.", encoding="utf-8")
    assert load_pages(f) == [Page(1, "first page text."), Page(2, "second page text."), Page(3, "third.")]


def test_html_scripts_styles_and_head_dropped(tmp_path):
    f = tmp_path / "page.html"
    f.write_text("<html><head><title>T</title><style>body{color:red}</style></head><body>"
                 "<script>var secret='XYZZY';</script><h1>Results</h1><p>Revenue rose 5%.</p>"
                 "<noscript>enable js</noscript><table><tr><td>Revenue</td><td>100</td></tr></table>"
                 "</body></html>", encoding="utf-8")
    pages = load_pages(f)
    assert len(pages) == 1
    text = pages[0].text
    assert "Revenue rose 5%." in text and "Results" in text
    assert "Revenue | 100" in text  # a table row stays on one line
    for junk in ("XYZZY", "color:red", "enable js", "<"):
        assert junk not in text


def _reason(path, **kw) -> str:
    with pytest.raises(IngestError) as info:
        load_pages(path, **kw)
    assert info.value.path == str(path)
    assert "\n" not in info.value.reason
    return info.value.reason


def test_missing_file(tmp_path):
    assert "no such file" in _reason(tmp_path / "nope.txt")


def test_zero_byte_file(tmp_path):
    f = tmp_path / "zero.txt"
    f.write_bytes(b"")
    assert "empty" in _reason(f)


def test_whitespace_only_file(tmp_path):
    f = tmp_path / "blank.txt"
    f.write_text("  \n\n \t\n", encoding="utf-8")
    assert "no text" in _reason(f)


def test_unsupported_suffix(tmp_path):
    f = tmp_path / "sheet.xlsx"
    f.write_bytes(b"PK\x03\x04 not really")
    assert "unsupported file type .xlsx" in _reason(f)


def test_binary_junk_txt(tmp_path):
    f = tmp_path / "junk.txt"
    f.write_bytes(random.Random(7).randbytes(4096))
    reason = _reason(f)
    assert "binary" in reason or "encoding" in reason


def test_not_a_pdf(tmp_path):
    f = tmp_path / "fake.pdf"
    f.write_bytes(b"hello world, this is not a pdf")
    assert "not a PDF" in _reason(f)


def test_corrupt_pdf(tmp_path):
    f = tmp_path / "corrupt.pdf"
    f.write_bytes(b"%PDF-1.4\n1 0 obj<<>>garbage\x00\x01" + bytes(range(256)) * 4 + b"\n%%EOF\n")
    assert "corrupt PDF" in _reason(f)


def test_truncated_pdf(tmp_path):
    whole = tmp_path / "whole.pdf"
    _three_page_pdf(whole)
    data = whole.read_bytes()
    f = tmp_path / "truncated.pdf"
    f.write_bytes(data[: len(data) // 2])
    reason = _reason(f)
    assert "truncated PDF" in reason or "corrupt PDF" in reason


def _three_page_pdf(path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in ("Alpha page text.", "Beta page text.", "Gamma page text."):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def test_pdf_pages_numbered_from_one(tmp_path):
    f = _three_page_pdf(tmp_path / "three.pdf")
    assert load_pages(f) == [Page(1, "Alpha page text."), Page(2, "Beta page text."), Page(3, "Gamma page text.")]


def test_pdf_without_text_needs_ocr(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")
    f = tmp_path / "image-only.pdf"
    pdf.output(str(f))
    assert "no extractable text" in _reason(f)


def test_encrypted_pdf(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Secret text about revenue.")
    pdf.set_encryption(owner_password="owner", user_password="user")
    f = tmp_path / "locked.pdf"
    pdf.output(str(f))
    reason = _reason(f)
    assert "encrypted" in reason and "password" in reason


def _printed_report(first_page: int, pages: int, title: str) -> list[str]:
    """Lines of a PDF's text saved as plain text: each page opens with its printed number,
    and one page holds a table whose cells sit one per line (bare numbers, too)."""
    lines = []
    for n in range(first_page, first_page + pages):
        lines += ["", str(n), f"{title} SECTION {n}"]
        lines += [f"Sentence {k} of page {n} says what the company did in the period." for k in range(6)]
        if n == first_page + 1:
            lines += ["Segment", "Revenue", "1", "2", "3", "4", "5", "6", "7"]
    return lines


def test_text_with_printed_page_numbers_is_split_into_pages(tmp_path):
    f = tmp_path / "report.txt"
    f.write_text("Cover of the interim report\n" + "\n".join(_printed_report(1, 8, "FIRST")), encoding="utf-8")
    pages = load_pages(f)
    assert [p.number for p in pages] == list(range(1, 10))  # cover + 8 printed pages
    assert pages[0].text == "Cover of the interim report"
    assert pages[3].text.startswith("FIRST SECTION 3")
    # the table's bare numbers stay in their page; only the page numbers are taken out
    assert "Revenue\n1\n2\n3" in pages[2].text


def test_concatenated_reports_restarting_their_numbering_keep_every_page(tmp_path):
    f = tmp_path / "three.txt"
    lines = _printed_report(1, 6, "FIRST") + _printed_report(1, 7, "SECOND") + _printed_report(1, 5, "THIRD")
    f.write_text("\n".join(lines), encoding="utf-8")
    pages = load_pages(f)
    assert len(pages) == 18
    assert [p.text.split("\n")[0] for p in pages[5:8]] == ["FIRST SECTION 6", "SECOND SECTION 1", "SECOND SECTION 2"]


def test_a_few_bare_numbers_do_not_make_pages(tmp_path):
    # four consecutive numbers far apart (fewer than a run) and a numbered list
    body = []
    for n in range(1, 5):
        body += [str(n)] + [f"Line {k} of part {n}." for k in range(8)]
    f = tmp_path / "notes.txt"
    f.write_text("\n".join(body), encoding="utf-8")
    assert [p.number for p in load_pages(f)] == [None]
