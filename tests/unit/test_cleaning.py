"""Repairs of extraction artefacts (ingest/cleaning.py)."""
from __future__ import annotations

from ingest.cleaning import clean_text, normalize_chars, reline_split_rows, strip_running_lines


def test_spaces_between_cjk_characters_removed():
    assert clean_text("阿 里 巴 巴 近 期 股 价 大 幅 上 涨 ， 引 发 市 场 广 泛 关 注 。") == \
        "阿里巴巴近期股价大幅上涨，引发市场广泛关注。"


def test_space_between_number_and_cjk_removed():
    assert clean_text("2024 年收入") == "2024年收入"
    assert clean_text("公司 2024 年 营业收入 为 1,000 亿元") == "公司2024年营业收入为1,000亿元"


def test_newlines_inside_wrapped_chinese_paragraph_removed():
    raw = ("阿里巴巴近期股价大幅上涨，引发市场广泛关注。美国存托凭证一度上涨约\n"
           "8%，创下近四年来的新高点。推动这一波上涨的直接因素是公司高层在公开\n"
           "场合宣布将进一步加码人工智能投入。")
    assert clean_text(raw) == ("阿里巴巴近期股价大幅上涨，引发市场广泛关注。美国存托凭证一度上涨约8%，"
                               "创下近四年来的新高点。推动这一波上涨的直接因素是公司高层在公开场合宣布将进一步加码人工智能投入。")


def test_hyphenated_line_end_word_joined():
    raw = ("The company expanded its manufac-\n"
           "turing capacity during the year to meet demand\n"
           "from customers in Europe and Asia, and it improved\n"
           "its operating margin by two percentage points.")
    out = clean_text(raw)
    assert "manufacturing capacity" in out
    assert "manufac-" not in out


def test_hard_wrapped_english_lines_joined_into_one_sentence():
    raw = ("This is a long hard-wrapped English sentence that goes on\n"
           "and on across several lines of the\n"
           "extracted page text until it ends here.")
    assert clean_text(raw) == ("This is a long hard-wrapped English sentence that goes on and on across "
                               "several lines of the extracted page text until it ends here.")


def test_real_line_breaks_kept():
    # a short heading line is not glued to the paragraph after it
    assert clean_text("Risk Factors\nThe company faces regulatory risk in several markets.") == \
        "Risk Factors\nThe company faces regulatory risk in several markets."


def test_table_rows_keep_their_lines():
    raw = ("Revenue 1,200 1,050 14%\n"
           "Operating income 300 250 20%\n"
           "Net income 210 190 11%")
    assert clean_text(raw).split("\n") == raw.split("\n")


def test_fullwidth_ascii_to_halfwidth():
    assert clean_text("ＡＢＣ１２３％") == "ABC123%"
    assert normalize_chars("Ｑ３营收") == "Q3营收"


def test_chinese_punctuation_kept():
    out = clean_text("收入增长，利润下降。风险：监管；竞争？是！（注）")
    assert out == "收入增长，利润下降。风险：监管；竞争？是！（注）"


def test_odd_spaces_ligatures_and_control_characters():
    assert clean_text("Revenue\u3000grew\u00a0fast.") == "Revenue grew fast."
    assert clean_text("\ufb01nancial") == "financial"
    assert clean_text("zero\u200bwidth\x07bell") == "zerowidthbell"


def test_crlf_normalised():
    assert clean_text("Heading\r\nBody text.") == "Heading\nBody text."


def test_running_header_and_page_numbers_removed():
    pages = [f"ACME Corp Annual Report 2023\n{body}\nPage {i}"
             for i, body in enumerate(["Revenue grew strongly.", "Margins improved.",
                                       "Cash flow was positive.", "Outlook is stable."], 1)]
    assert strip_running_lines(pages) == [
        "Revenue grew strongly.", "Margins improved.", "Cash flow was positive.", "Outlook is stable."]


def test_running_footer_with_varying_page_number_removed_but_body_kept():
    bodies = ["第一页正文内容。", "第二页正文内容。", "第三页正文内容。"]
    pages = [f"{b}\n阿里巴巴集团 2024 年报 第 {i} 页" for i, b in enumerate(bodies, 1)]
    assert strip_running_lines(pages) == bodies


def test_lines_that_do_not_repeat_are_kept():
    pages = ["Alpha heading\nbody one", "Beta heading\nbody two", "Gamma heading\nbody three"]
    assert strip_running_lines(pages) == pages


def test_fewer_than_three_pages_untouched():
    pages = ["Header\nOne", "Header\nTwo"]
    assert strip_running_lines(pages) == pages


def test_ligatures_mapped_to_nul_are_repaired():
    # eBay's and Costco's releases map fi/fl/ff/ffi glyphs to U+0000; pypdf passes the NULs on
    from ingest.cleaning import clean_text

    raw = ("eBay reported \x00nancial results; free cash \x00ow rose. The Chief Financial O\x00cer "
           "said o\x00erings re\x00ect in\x00ation e\x00ects in \x00scal 2023 pro\x00t.")
    assert clean_text(raw) == ("eBay reported financial results; free cash flow rose. The Chief Financial Officer "
                               "said offerings reflect inflation effects in fiscal 2023 profit.")


def test_real_pdf_ligatures_come_out_as_words():
    import pytest

    from evals.shared import shared_corpus

    pdf = shared_corpus() / "EBAY_2023Q2_EARNINGS.pdf"
    if not pdf.exists():
        pytest.skip(f"{pdf} not found (put ../shared/corpus beside the checkout or set RAG_SHARED_CORPUS)")
    from ingest import load_pages

    text = "\n".join(p.text for p in load_pages(pdf))
    assert "\x00" not in text
    assert "free cash flow" in text and "first-party" in text and "Chief Financial Officer" in text


def test_split_statement_rows_are_put_back_on_one_line_each():
    # pypdf broke each line after the label, not after the figures (a 10-K's statement of operations)
    raw = ("Revenue:\nTransaction-based revenue\n$ 3,294,978 $ 3,081,074 Hardware revenue\n91,654 84,505 Total net revenue\n"
           "9,497,578 4,713,500 Operating income (loss)\n(18,815) 26,557 Net income (loss)\n$ 213,105 $ 375,446 Net income per share:")
    prose = "Highlights:\n2023 was a record year for the Company.\nOutlook:\n12% growth is expected by management."
    out = reline_split_rows([clean_text(raw), prose, clean_text(raw)])
    assert out[0].split("\n") == [
        "Revenue:", "Transaction-based revenue $ 3,294,978 $ 3,081,074", "Hardware revenue 91,654 84,505",
        "Total net revenue 9,497,578 4,713,500", "Operating income (loss) (18,815) 26,557",
        "Net income (loss) $ 213,105 $ 375,446", "Net income per share:"]
    assert len(out[0]) == len(raw)   # only whitespace moved: quotes of the page stay verbatim
    assert out[1] == prose           # a page without such rows is left alone


def test_figures_before_labels_in_a_document_not_written_so_stay_as_they_are():
    # a contents page and a statement printing figures before their labels, among many ordinary pages
    contents = "PART I\n1 Business 1\nPART II\n5 Market for Common Equity 20\nPART III\n10 Directors 108"
    ordinary = ["Net sales $ 14,189 $ 14,082\nGross margin $ 4,506 $ 5,063"] * 8
    assert reline_split_rows([contents] + ordinary) == [contents] + ordinary
