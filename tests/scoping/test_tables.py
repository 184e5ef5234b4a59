"""Table headers carried with chunks cut from financial tables; rows never split; text stays verbatim."""
from __future__ import annotations

import sqlite3

import pytest

from scoping_support import SHARED

from ingest import Page, chunk_pages, load_pages
from ingest.tables import TableContext, classify


@pytest.mark.parametrize("line,kind", [
    ("Net revenue $ 11,715 $ 18,353", "data"),
    ("(In Millions, Except Per Share Amounts; Unaudited) Apr 1, 2023 Apr 2, 2022", "header"),
    ("Three Months Ended", "header"),
    ("12 Weeks Ended 36 Weeks Ended", "header"),
    ("May 7, 2023 May 8, 2022 May 7, 2023 May 8, 2022", "header"),
    ("2023 | 2024", "header"),
    ("单位：千元币种：人民币", "header"),
    ("项目 | 本报告期 | 年初至报告期末", "header"),
    ("营业收入 | 15,609,410 | 32.5 | 41,878,720 | 26.5", "data"),
    ("Gross Margin 34.2% 50.4% down 16.2 ppts 38.4% 53.1% down 14.7 ppts", "data"),
    ("84,425", "data"),
    ("Consolidated Condensed Balance Sheets", "label"),
    ("Net sales for the quarter increased 1.9 percent, to $52.60 billion, from $51.61 billion last year.", "prose"),
    ("公司收入环比上升14%，达到21.7亿美元，创历史新高。", "prose"),
    ("", "blank"),
    # a statement's last row with the page's footnote run onto its line is still the row
    ("Total liabilities and stockholders’ equity $ 27,165 $ 27,241 See accompanying Notes to Consolidated "
     "Financial Statements.", "data"),
    ("In 2022 we paid 1,234 in dividends to Shareholders of Record.", "prose"),
])
def test_line_classes(line, kind):
    assert classify(line) == kind


def _rows_page() -> str:
    head = ["ACME CORPORATION CONSOLIDATED STATEMENTS OF INCOME", "(in millions, except per share data)",
            "Three Months Ended", "Mar 31, 2024 Mar 31, 2023"]
    rows = [f"Line item number {i} {1000 + i:,} {900 + i:,}" for i in range(60)]
    return "\n".join(["The company had a good quarter and says so at length here.", ""] + head + rows +
                      ["", "Management believes these results are strong and will say more next quarter."])


def test_chunks_inside_a_table_carry_its_header_and_stay_verbatim():
    text = _rows_page()
    chunks = chunk_pages([Page(1, text)], max_size=40)
    assert len(chunks) > 4
    in_table = [c for c in chunks if c.text.startswith("Line item number") and c.start > text.index("Line item number 0")]
    assert in_table
    for c in in_table:
        assert "Mar 31, 2024 Mar 31, 2023" in c.context and "(in millions" in c.context
        assert "Three Months Ended" in c.context and c.context.startswith("ACME CORPORATION")
    for c in chunks:
        assert text[c.start:c.end] == c.text          # citations quote the page text verbatim
        # a row is a line: no chunk starts or ends inside one
        assert c.start == 0 or text[c.start - 1] == "\n" or text[c.start - 1] == " "
        assert c.end == len(text) or text[c.end] == "\n"
    first = next(c for c in chunks if "Mar 31, 2024" in c.text)
    assert first.context == ""                         # the header is in the chunk itself
    prose_after = [c for c in chunks if c.text.startswith("Management")]
    assert all(c.context == "" for c in prose_after)


def test_catalog_adds_the_context_column_to_an_old_index(tmp_path):
    from rag.catalog import Catalog

    db = tmp_path / "catalog.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE chunks(rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL,"
                " page INTEGER, start INTEGER, end INTEGER, ord INTEGER, text TEXT)")
    con.execute("INSERT INTO chunks(chunk_id, doc_id, page, start, end, ord, text) VALUES('c1','d',0,0,4,0,'text')")
    con.commit()
    con.close()
    cat = Catalog(db)
    row = cat.chunks_by_ids(["c1"])["c1"]
    assert "context" in row and row["context"] is None
    cat.close()


def _shared_pages(name, sep=None):
    p = SHARED / name
    if not p.is_file():
        pytest.skip(f"{name} not in {SHARED}")
    return load_pages(p, sep)


def _chunk_with(chunks, needle):
    for c in chunks:
        if c.text.startswith(needle) or (needle in c.text and c.context):
            return c
    raise AssertionError(f"no chunk with {needle!r}")


def test_intel_income_statement_rows_know_their_columns():
    pages = _shared_pages("INTEL_2023Q1_EARNINGS.pdf")
    chunks = chunk_pages(pages)
    c = _chunk_with([c for c in chunks if c.page == 6], "Net income (loss) (2,768) 8,113")
    # the row's columns are known to its chunk: in its context, or in its own text when the chunk
    # starts above the header (every chunk now also carries its page title as context)
    known = c.context + "\n" + c.text
    assert "Apr 1, 2023 Apr 2, 2022" in known and "In Millions" in known
    for c in chunks:
        page = next(p for p in pages if p.number == c.page)
        assert page.text[c.start:c.end] == c.text


def test_costco_and_smic_tables():
    pages = _shared_pages("COSTCO_2023Q3_EARNINGS.pdf")
    chunks = chunk_pages(pages)
    ctx = [c.context for c in chunks if c.page == 3 and c.context]
    assert any("12 Weeks Ended 36 Weeks Ended" in x and "May 7, 2023" in x for x in ctx)
    pages = _shared_pages("smic-2024q3-report-zh.md", "---")
    chunks = chunk_pages(pages)
    c = _chunk_with(chunks, "归属于上市公司股东的净利润 | 1,059,907")
    known = c.context + "\n" + c.text
    assert "本报告期" in known and "单位：千元" in known


def test_a_label_wrapped_above_its_figures_does_not_start_a_new_header():
    from ingest.tables import line_headers

    page = ("项目\n2024年12月31日2023年12月31日本年末比上年末增减\n不良贷款 35,738 1.06% 36,036 1.06% (0.8%)\n"
            "以公允价值计量且其变动\n计入其他综合收益的发\n放贷款和垫款减值准备\n(957) (2,692) (64.5%)\n"
            "拨备覆盖率 250.71% 277.63% -26.92个百分点\n")
    _, headers = line_headers(page)
    assert headers[-2] is not None and headers[-2].text == "项目\n2024年12月31日2023年12月31日本年末比上年末增减"
    assert headers[-2] == headers[2]


def test_table_context_lookup_by_offset():
    text = "Revenue table\n(in millions)\n2024 2023\nRevenue 10 9\nCost 5 4\n\nA sentence that ends here, after the table, in several more words."
    t = TableContext(text)
    assert t.for_span(text.index("Cost")) == "Revenue table\n(in millions)\n2024 2023"
    assert t.for_span(0) == "" and t.for_span(text.index("A sentence")) == ""


def test_a_statement_page_is_found_by_its_title_when_the_title_is_split_over_lines(tmp_path):
    from rag.catalog import Catalog

    cat = Catalog(tmp_path / "catalog.sqlite")
    con = cat._conn()
    rows = [("c1", "d", 85, "Item 7 · Results of Operations"),
            ("c2", "d", 86, "SQUARE, INC.\nCONSOLIDATED STATEMENTS OF\nOPERATIONS(In thousands) Year Ended December 31, 2020"),
            ("c3", "d", 87, "CONSOLIDATED STATEMENTS OF COMPREHENSIVE INCOME")]
    for ord_, (cid, doc, page, context) in enumerate(rows):
        con.execute("INSERT INTO chunks(chunk_id, doc_id, page, start, end, ord, text, context) "
                    "VALUES(?,?,?,0,4,?,'text',?)", (cid, doc, page, ord_, context))
    con.commit()
    assert cat.pages_titled(["d"], ["statements of operations"]) == ["c2"]
    cat.close()
