"""HTML rendering: markers, escaping of hostile text, the highlighted quote."""
from __future__ import annotations

import re

from ui.render import (
    answer_html, docs_table_html, ingest_report_html, local_time, locate_quote, overview_html,
    parse_cite_href, pdf_url, source_hint_html, source_html,
)

HOSTILE = 'stores <script>alert(1)</script> tapes <img src=x onerror="alert(2)"> ${x} {{value}} `b` in Tasmania.'


def cit(n=1, quote="Quote one.", start=0, end=None, page=None, **kw):
    d = {"n": n, "doc_id": "doc-a", "title": "Report <b>A</b>", "source": "/x/a.pdf", "page": page,
         "quote": quote, "start": start, "end": start + len(quote) if end is None else end,
         "kind": "annual report", "date": "2025-03"}
    d.update(kw)
    return d


def extractive(cits):
    return {"text": " ".join(f"{c['quote']} [{c['n']}]" for c in cits), "abstained": False, "citations": cits}


def test_cite_href_round_trip():
    assert parse_cite_href("#cite-3-12") == (3, 12)
    assert parse_cite_href("cite-0-1") == (0, 1)
    for bad in (None, "", "#cite-x-1", "#cite-1", "javascript:alert(1)", "#cite-1-2-3", "#cite--1-2"):
        assert parse_cite_href(bad) is None


def test_answer_markers_are_clickable_and_text_is_escaped():
    c1, c2 = cit(1, "Revenue rose 8%."), cit(2, HOSTILE, start=40)
    html = answer_html(4, extractive([c1, c2]), "en")
    assert "\n" not in html, "one line, so Markdown leaves the HTML block alone"
    assert html.startswith("<div")
    assert re.findall(r'<a class="rag-cite" href="#cite-4-(\d)"', html) == ["1", "2", "1", "2"]  # text + sources line
    assert "<script>" not in html and "<img" not in html and 'onerror="' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Report &lt;b&gt;A&lt;/b&gt;" in html  # titles escaped too


def test_literal_brackets_inside_a_quote_are_not_markers():
    c1 = cit(1, "See note [3] for details.")
    html = answer_html(0, extractive([c1]), "en")
    assert "See note [3] for details." in html
    assert 'href="#cite-0-3"' not in html


def test_llm_style_text_links_only_known_markers():
    ans = {"text": "Brazil and France [1], per [7] and [2].", "abstained": False,
           "citations": [cit(1, "a"), cit(2, "b")]}
    html = answer_html(1, ans, "en")
    assert 'href="#cite-1-1"' in html and 'href="#cite-1-2"' in html
    assert "[7]" in html and 'href="#cite-1-7"' not in html


def test_abstention_is_clear_in_both_languages():
    ans = {"text": "The indexed documents do not say.", "abstained": True, "citations": [],
           "notices": ["no evidence of the asked person"]}
    en = answer_html(0, ans, "en")
    assert "Not in the documents" in en and "rag-abstain" in en and "no evidence of the asked person" in en
    zh = answer_html(0, {**ans, "text": "已索引的文档中没有相关内容。"}, "zh")
    assert "文档中没有答案" in zh and "已索引的文档中没有相关内容。" in zh
    empty = answer_html(0, {**ans, "empty_index": True}, "en")
    assert "Documents tab" in empty


def test_followup_scope_and_fallback_notes():
    ans = {**extractive([cit()]), "rewritten_question": "Alibaba <b>countries</b> why?",
           "scope": "Alibaba Group · annual report (1 document)", "fallback_reason": "timeout <x>"}
    html = answer_html(1, ans, "en")
    assert "Follow-up, searched as" in html and "Alibaba &lt;b&gt;countries&lt;/b&gt; why?" in html
    assert "Searched: Alibaba Group · annual report (1 document)" in html
    assert "LLM answer was not used (timeout &lt;x&gt;)" in html
    assert "Searched:" not in answer_html(1, {**extractive([cit()]), "scope": "whole index"}, "en")


def test_source_viewer_highlights_the_quote_in_place():
    page = "Intro line.\nThe board approved <b>a</b> dividend. Closing words."
    q = "The board approved <b>a</b> dividend."
    c = cit(1, q, start=page.index(q), page=3)
    html = source_html(2, c, page, "en", file_url=pdf_url("/docs/a b.pdf", 3))
    mark = re.search(r'<mark class="rag-quote">(.*?)</mark>', html).group(1)
    assert mark == "The board approved &lt;b&gt;a&lt;/b&gt; dividend."
    assert html.index("Intro line.") < html.index("<mark") < html.index("Closing words.")
    assert "<br>" in html  # line breaks kept
    assert 'href="gradio_api/file=/docs/a%20b.pdf#page=3"' in html and 'target="_blank"' in html
    assert "Open the PDF at page 3" in html
    assert "annual report · 2025-03 · page 3" in html
    assert 'data-cite="2-1"' in html


def test_source_viewer_without_pdf_has_no_link_and_long_pages_are_windowed():
    page = "x" * 5000 + "THE QUOTE." + "y" * 5000
    c = cit(1, "THE QUOTE.", start=5000)
    html = source_html(0, c, page, "zh")
    assert "rag-pdf-link" not in html
    assert "<mark class=\"rag-quote\">THE QUOTE.</mark>" in html
    assert html.count("…") == 2 and len(html) < 4000


def test_quote_that_moved_or_vanished():
    c = cit(1, "Moved sentence.", start=0)
    assert locate_quote("Prefix. Moved sentence.", c) == (8, 23, "moved")
    assert locate_quote("Nothing here.", c)[2] == "gone"
    assert locate_quote(None, c)[2] == "gone"
    html = source_html(0, c, "Prefix. Moved sentence.", "en")
    assert "different place" in html and "<mark class=\"rag-quote\">Moved sentence.</mark>" in html
    gone = source_html(0, c, "Nothing here.", "en")
    assert "no longer" in gone and "Moved sentence." in gone
    assert "no longer available" in source_html(0, None, None, "en")


def test_overview_cards_and_hint():
    ans = extractive([cit(1, "a" * 300, page=2), cit(2, "b")])
    html = overview_html(5, ans, "en")
    assert html.count('class="rag-cite rag-card"') == 2 and 'href="#cite-5-2"' in html
    assert "a" * 160 + "…" in html and "page 2" in html
    assert "Click a citation marker" in source_hint_html("en")
    assert "点击" in source_hint_html("zh")


def test_docs_table_and_ingest_report_escape_names():
    docs = [{"doc_id": "d1", "pages": 2, "chunks": 5, "added_at": "2025-01-02T03:04:05+00:00",
             "meta": {"title": "<i>T</i>", "kind": "filing", "date": "2024"}}]
    html = docs_table_html(docs, "en")
    assert "&lt;i&gt;T&lt;/i&gt;" in html and "<td>filing</td>" in html and "<td>5</td>" in html
    assert "No documents" in docs_table_html([], "en")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", local_time("2025-01-02T03:04:05+00:00"))
    rep = ingest_report_html([
        {"name": "<x>.pdf", "status": "failed", "reason": "bad <pdf>"},
        {"name": "ok.txt", "status": "added", "doc_id": "ok", "pages": 1, "chunks": 3}], "en")
    assert "&lt;x&gt;.pdf" in rep and "bad &lt;pdf&gt;" in rep and "1 indexed, 1 failed." in rep
    assert "失败" in ingest_report_html([{"name": "a", "status": "failed", "reason": "r"}], "zh")
