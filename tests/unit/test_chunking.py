"""Sentence-aligned, page-bound chunks with exact offsets (ingest/chunking.py)."""
from __future__ import annotations

from ingest.chunking import chunk_pages
from ingest.loaders import Page
from ingest.sentences import split_sentences

PAGES = [
    Page(1, "阿里巴巴近期股价大幅上涨。美国存托凭证一度上涨约8%。公司宣布加码人工智能投入。"
            "阿里巴巴发布了新模型Qwen3-Omni。该模型能够处理文本、图像、音频与视频。"
            "云服务收入同比增长约26%。阿里宣布在巴西、法国和荷兰开设数据中心。"),
    Page(2, "The Zephyr plant in Lyon produced 4,200 turbines in 2023. The plant employs 800 people. "
            "Revenue was US$53.0 billion, up 4.5% year over year. The U.S. economy slowed in the period. "
            "Management expects steady demand. The board approved a dividend."),
    Page(3, "Short last page."),
]


def _chunks(max_size=40.0):
    return chunk_pages(PAGES, max_size=max_size)


def test_several_chunks_per_page_when_small_budget():
    chunks = _chunks()
    per_page = {p.number: sum(1 for c in chunks if c.page == p.number) for p in PAGES}
    assert per_page[1] >= 2 and per_page[2] >= 2 and per_page[3] == 1


def test_offsets_index_the_page_text():
    pages = {p.number: p.text for p in PAGES}
    for c in _chunks():
        assert pages[c.page][c.start:c.end] == c.text


def test_chunks_never_cross_pages():
    pages = {p.number: p.text for p in PAGES}
    for c in chunk_pages(PAGES, max_size=10_000):  # budget large enough for everything
        assert 0 <= c.start < c.end <= len(pages[c.page])
    big = chunk_pages(PAGES, max_size=10_000)
    assert [(c.page, c.text) for c in big] == [(p.number, p.text) for p in PAGES]


def test_chunks_never_cut_sentences():
    for page in PAGES:
        spans = split_sentences(page.text)
        starts = {a for a, _ in spans}
        ends = {b for _, b in spans}
        for c in _chunks():
            if c.page == page.number:
                assert c.start in starts, c.text
                assert c.end in ends, c.text


def test_every_sentence_is_in_some_chunk():
    chunks = _chunks()
    for page in PAGES:
        for a, b in split_sentences(page.text):
            assert any(c.page == page.number and c.start <= a and b <= c.end for c in chunks), page.text[a:b]


def test_consecutive_chunks_overlap_by_one_sentence():
    chunks = [c for c in _chunks() if c.page == 1]
    spans = split_sentences(PAGES[0].text)
    for prev, nxt in zip(chunks, chunks[1:]):
        last_sentence = next(s for s in spans if s[1] == prev.end)
        assert nxt.start == last_sentence[0]


def test_chunk_index_is_document_position():
    assert [c.index for c in _chunks()] == list(range(len(_chunks())))


def test_deterministic_chunks_and_ids():
    a, b = _chunks(), _chunks()
    assert a == b
    ids_a = [c.chunk_id("doc-1", "v1") for c in a]
    assert ids_a == [c.chunk_id("doc-1", "v1") for c in b]
    assert len(set(ids_a)) == len(ids_a)
    assert all(len(i) == 20 for i in ids_a)
    assert set(ids_a).isdisjoint(c.chunk_id("doc-1", "v2") for c in a)
    assert set(ids_a).isdisjoint(c.chunk_id("doc-2", "v1") for c in a)


def test_unpaginated_text_has_page_none():
    chunks = chunk_pages([Page(None, "第一句。第二句。")])
    assert [(c.page, c.text) for c in chunks] == [(None, "第一句。第二句。")]


def test_pathological_long_sentence_split_into_bounded_windows():
    text = "很长的表格行" * 400  # 2,400 CJK characters with no sentence end
    chunks = chunk_pages([Page(1, text)], max_size=160)
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert len(c.text) <= 240  # 1.5 x budget, CJK counts 1 per character
    assert "".join(c.text for c in chunks) == text


def test_a_chinese_clause_ending_in_a_full_width_semicolon_is_prose_not_a_header():
    # no spaces to count as words: "2025年，本集团实现营业收入1,205.00亿元，同比下降3.2%；" is a sentence
    from ingest.tables import classify

    assert classify("2025年，本集团实现营业收入1,205.00亿元，同比下降3.2%；") == "prose"
    assert classify("项目 2025年 2024年") == "header"
    # nor are clauses parted by full-width commas where the layout broke the line before its stop
    assert classify("利润分配预案：拟以本行2025年12月31日的总股本1,000,000股为基数，2025年全年以每10股派发现金股利人民币6.08元"
                    "（含税），其中：2025年中期已按每10股派发现金股利人民币2.46元") == "prose"
    assert classify("2025年，本集团实现营业收入1,205.00亿元，同比下降3.2%") == "prose"
    assert classify("(除特别注明外，金额单位均为人民币百万元)") == "header"
    assert classify("单位：元，币种：人民币，审计类型：未经审计") == "header"


def test_a_label_wrapped_over_two_lines_is_no_header_though_it_holds_a_period_character():
    # "终止" (derecognition) holds "止" as "截至…日止年度" does: the wrapped label is no column header, and
    # the rows below it stay under the statement's header of years
    from ingest.tables import classify, line_headers

    assert classify("其中：以摊余成本计量的金融资产终止确认产") == "label"
    assert classify("截至2024年12月31日止年度") == "header" and classify("止三个月") == "header"
    page = ("合并利润表\n项目 2024年度 2023年度\n投资收益 24,604 16,054\n其中：以摊余成本计量的金融资产终止确认产\n"
            "生的收益 759 1\n营业收入合计 146,695 164,699")
    _, headers = line_headers(page, title_lines=2)
    assert headers[5].text == "合并利润表\n项目 2024年度 2023年度"


def test_a_row_is_read_under_its_tables_title_and_subtitle_in_answers_only():
    # "U.S. 10.3 %" says what it measures only under "COMPARABLE SALES"; chunk contexts keep one title line
    from ingest.tables import line_headers

    page = "COMPARABLE SALES\nIncrease/(Decrease)\nQuarters Ended June 30,\n2025 2024\nU.S. 8.1 % 2.5 %\nTotal 7.0 % 4.4 %"
    _, headers = line_headers(page, title_lines=2)
    assert headers[4].text == "COMPARABLE SALES\nIncrease/(Decrease)\nQuarters Ended June 30,\n2025 2024"
    assert page[headers[4].start:headers[4].start + len(headers[4].text)] == headers[4].text   # verbatim
    _, one = line_headers(page)
    assert one[4].text.startswith("Increase/(Decrease)")
    signed = "法定代表人：张三\n合并利润表\n单位：元\n项目 2025年度 2024年度\n营业总收入 1,000.00 900.00"
    _, headers = line_headers(signed, title_lines=2)
    assert headers[4].text.startswith("合并利润表")


def test_the_day_of_a_wrapped_column_date_is_header_not_a_row():
    """pypdf wraps a column's date over lines ("December" / "31," / "2022"): the lone "31," is part of the
    header, so the header keeps every column's period (not only those after it)."""
    from ingest.tables import classify, line_headers

    assert classify("31,") == "header" and classify("1,234") == "data"
    text = ("Three Months Ended\n\nJune 30,\n2023\nMarch 31,\n2023\nDecember\n31,\n2022\n"
            "(In millions, except percentages)\nActive Buyers (1) 132 133 134\n")
    starts, headers = line_headers(text)
    assert "June 30," in headers[-2].text and "2023" in headers[-2].text


BALANCE_AND_CASH_FLOW = """Consolidated Condensed Balance Sheets
(In Millions) Apr 1, 2023 Dec 31, 2022
Current assets:
Cash and cash equivalents $ 8,232 $ 11,144
Inventories
Raw materials 1,358 1,517
Work in process 7,415 7,565
Finished goods 4,220 4,142
12,993 13,224
Total current assets 48,314 50,407
Property, plant and equipment, net 85,734 80,860
Total assets $ 185,303 $ 182,103
Current liabilities:
Short-term debt $ 1,437 $ 4,367
Total current liabilities 27,393 32,155
Debt 48,836 37,684
Stockholders' equity:
Retained earnings 65,649 70,405
Total liabilities and stockholders' equity $ 185,303 $ 182,103
Net income 2,210.8 1,786.2
Net cash (used) provided by financing activities (1,941.5) (2,176.4) Effect of exchange rate changes (20.7) (23.1) Cash flow from changes in current assets and liabilities:
Receivables $ 37.9 $ (42.7)
Inventories 103.1 53.7
Net cash provided by operating activities 3,676.2 2,807.0"""


def test_a_row_is_read_within_its_part_of_the_statement():
    from ingest.tables import NON_CURRENT_PART, place_at

    text = BALANCE_AND_CASH_FLOW

    def part(line):
        return place_at(text, text.index(line)).part

    assert part("Cash and cash equivalents $ 8,232") == "Current assets:"
    # after the total of current items come the long-term ones, though no line says so
    assert part("Property, plant and equipment, net") == NON_CURRENT_PART
    assert part("Debt 48,836") == NON_CURRENT_PART
    assert part("Short-term debt") == "Current liabilities:"
    assert part("Retained earnings") == "Stockholders' equity:"
    # a part opened at the end of a line the text layer ran on; the activity's net cash line is in none
    assert part("Inventories 103.1") == "Cash flow from changes in current assets and liabilities:"
    assert part("Net cash provided by operating") == ""
    assert part("Current assets:") == ""   # (the header comes first)


def test_a_subtotal_with_no_label_is_named_by_the_group_it_sums():
    from ingest.tables import place_at

    def group_label(text, offset):
        return place_at(text, offset).group

    text = BALANCE_AND_CASH_FLOW
    span = group_label(text, text.index("12,993 13,224"))
    assert span is not None and text[span[0]:span[1]] == "Inventories"
    assert group_label(text, text.index("Finished goods")) is None   # a labelled row names itself
    assert group_label(text, text.index("Total current assets")) is None
