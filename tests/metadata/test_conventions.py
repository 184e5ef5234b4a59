"""Metadata read by the conventions of each document type, on made-up documents (no shared files).

SEC covers, earnings releases, A-share and HK reports, news articles; fiscal periods as the filer
names them; evidence with page numbers; the user's alias file. None of the companies here exists.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.metadata import infer_metadata


class _Page:
    def __init__(self, text, number=1):
        self.text, self.number = text, number


def infer(name, *texts, **kw):
    return infer_metadata(Path(name), [_Page(t, i + 1) for i, t in enumerate(texts)], **kw)


SEC_HEAD = "UNITED STATES\nSECURITIES AND EXCHANGE COMMISSION\nWashington, D.C. 20549\n"


def ten_k(name_block: str, year_end: str = "December 31, 2023", symbols: str = "") -> str:
    return (SEC_HEAD + "FORM 10-K\n☒ ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934 "
            f"For the fiscal year ended {year_end} OR ☐ TRANSITION REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE "
            "SECURITIES EXCHANGE ACT OF 1934 For the transition period from to Commission File Number 1-2345 "
            + name_block + "\nDelaware 12-3456789\n(State or other jurisdiction of incorporation)\n"
            "Securities registered pursuant to Section 12(b) of the Act:\nTitle of each class Trading Symbol(s) Name of "
            "each exchange on which registered " + (symbols or "Common Stock, $0.01 par value ACME New York Stock Exchange")
            + " 1.500% Notes due 2030 ACME30 New York Stock Exchange\nSecurities registered pursuant to Section 12(g) of "
            "the Act: None\n")


def test_10k_cover_registrant_symbol_and_fiscal_year():
    inf = infer("filing.pdf", ten_k("ACME ROCKETS CORPORATION\n(Exact name of registrant as specified in its charter)"),
                "Item 1. Business\nAcme Rockets Corporation designs rockets. In fiscal 2023 we launched 40 rockets.")
    got = inf.fields
    assert got["kind"] == "10-K"
    assert got["issuer"] == "Acme Rockets Corporation"          # as the text writes it, not in capitals
    assert got["tickers"] == ["ACME"]                            # the note ACME30 is not a ticker
    assert (got["period"], got["period_end"]) == ("FY2023", "2023-12-31")
    assert "Acme Rockets" in got["aliases"]
    assert inf.evidence["issuer"].startswith("p.1 ") and "Exact name of registrant" in inf.evidence["issuer"]


def test_10k_cover_never_takes_the_exchange_or_the_1934_act():
    # the registrant label missing, the legal name of an exchange in the 12(b) table, the Act's year on the cover
    text = (SEC_HEAD + "FORM 10-K\nANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934\n"
            "For the fiscal year ended\n\nDecember 31\n, 2022\nCommission file number\n\n1-9999\nZENITH WIDGETS COMPANY\n"
            "State of Incorporation: Delaware\nSecurities registered pursuant to Section 12(b) of the Act:\n"
            "Common Stock ZWC New York Stock Exchange ZWC NYSE Arca, Inc.\n")
    got = infer("cover.pdf", text).fields
    assert got["issuer"] == "Zenith Widgets Company" and got["tickers"] == ["ZWC"]
    assert got["period"] == "FY2022" and got["period_end"] == "2022-12-31"


def test_a_cover_with_a_legal_name_line_only():
    got = infer("acme.txt", SEC_HEAD + "FORM 10-K\nANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES "
                "EXCHANGE ACT OF 1934\nFor the fiscal year ended December 31, 2023\nAcme Rockets Corporation\n"
                "Acme Rockets Corporation designs rockets. For the year ended December 31, 2023, sales grew.").fields
    assert got["kind"] == "10-K" and got["issuer"] == "Acme Rockets Corporation"
    assert got["period"] == "FY2023" and got["period_end"] == "2023-12-31"


@pytest.mark.parametrize("year_end,text,want", [
    # a retailer that names the year by the calendar year it ends in
    ("January 28, 2023", "In fiscal 2023 we opened 10 stores. Fiscal 2023 sales rose; fiscal 2022 sales fell.", "FY2023"),
    # one that names it by the year it mostly covers
    ("January 28, 2023", "Fiscal 2022 (the year ended January 28, 2023) was strong. In fiscal 2022 sales rose.", "FY2022"),
    # a 52/53-week year ending in the first days of January, the text silent
    ("January 1, 2023", "Sales rose.", "FY2022"),
    # a June year end is named by the year it ends in
    ("May 29, 2022", "Sales rose.", "FY2022"),
])
def test_fiscal_years_as_the_filer_names_them(year_end, text, want):
    got = infer("x.pdf", ten_k("ACME STORES, INC.\n(Exact name of registrant as specified in its charter)", year_end),
                "Item 1. Business\n" + text).fields
    assert got["period"] == want
    from rag.metadata import normalize_date

    assert got["period_end"] == normalize_date(year_end)


def ten_q(end: str, body: str) -> list[str]:
    cover = (SEC_HEAD + "FORM 10-Q\n☒ QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF "
             f"1934 For the quarterly period ended {end}\nCommission File Number 1-2345\nACME FOODS, INC.\n"
             "(Exact name of registrant as specified in its charter)\n")
    return [cover, body]


def test_10q_fiscal_quarter_named_by_the_filer():
    got = infer("q.pdf", *ten_q("August 27, 2023", "Results for the first quarter of fiscal 2024 were strong. "
                                "Net sales in the first quarter of fiscal 2024 rose 4%. Our fiscal year ends on the last "
                                "Sunday of May.")).fields
    assert got["kind"] == "10-Q" and got["period"] == "FY2024Q1" and got["period_end"] == "2023-08-27"


def test_10q_quarter_counted_from_the_fiscal_year_end():
    got = infer("q.pdf", *ten_q("August 27, 2023", "Our fiscal year ends in May. Net sales rose 4% in the quarter.")).fields
    assert got["period"] == "FY2024Q1"


def test_10q_calendar_quarter_when_the_text_says_nothing_else():
    got = infer("q.pdf", *ten_q("June 30, 2023", "Net sales rose 4% in the quarter.")).fields
    assert got["period"] == "2023Q2" and got["period_end"] == "2023-06-30"


def test_8k_registrant_and_date_of_report():
    text = (SEC_HEAD + "FORM 8-K\nCURRENT REPORT\nPursuant to Section 13 or 15(d) of the Securities Exchange Act of 1934\n"
            "Date of Report (Date of earliest event reported): May 26, 2023\n\nAcme Beverages, Inc.\n"
            "(Exact name of registrant as specified in its charter)\nNorth Carolina 1-1183 13-1584302\n"
            "Item 8.01. Other Events.\nOn May 26, 2023, Acme Bottling Holdings Limited, a subsidiary, entered into a "
            "credit agreement. Acme Bottling Holdings Limited will borrow. Acme Bottling Holdings Limited agreed.")
    inf = infer("8k.pdf", text)
    got = inf.fields
    assert got["kind"] == "8-K" and got["issuer"] == "Acme Beverages, Inc."    # not the subsidiary it discusses
    assert got["date"] == "2023-05-26" and "period" not in got
    assert "Date of Report" in inf.evidence["date"]
    assert got["title"] == "Acme Beverages, Inc. Form 8-K 2023-05-26: Other Events"


def test_press_release_headline_and_dateline():
    got = infer("release.txt", "NEWS RELEASE\nFoo Widgets Inc. Reports Fourth Quarter 2023 Results\n"
                "AUSTIN, Texas, February 1, 2024 (GLOBE NEWSWIRE) -- Foo Widgets Inc. (NYSE: FWI) (“Foo” or the "
                "“Company”) today reported results for its fourth quarter ended December 31, 2023.\n"
                "Revenue was $10 million.").fields
    assert got["issuer"] == "Foo Widgets Inc." and got["tickers"] == ["FWI"]
    assert got["kind"] == "earnings release" and got["period"] == "2023Q4"
    assert got["period_end"] == "2023-12-31" and got["date"] == "2024-02-01"
    assert {"Foo Widgets", "Foo"} <= set(got["aliases"])


def test_release_of_a_fiscal_year_reports_its_last_quarter():
    got = infer("r.pdf", "Bolt reports fiscal 2023 results and provides outlook for fiscal 2024 June 2023 quarter: "
                "GAAP diluted EPS of 12 cps\nKey Financials Twelve Months Ended June 30, 2023\nNet sales 100\n"
                "Three Months Ended June 30, 2023\nNet sales 25\nNYSE: BLT; ASX: BLT").fields
    assert got["issuer"] == "Bolt" and got["kind"] == "earnings release"
    assert (got["period"], got["period_end"]) == ("FY2023Q4", "2023-06-30")
    assert "BLT" in got["tickers"]


def test_release_without_a_headline_reads_its_opening_lines():
    got = infer("r.pdf", "FOR IMMEDIATE RELEASE\n• 2022 Fourth-Quarter reported sales of $2.1 Billion\n"
                "• 2022 Full-Year sales of $8.4 Billion\nSpringfield (January 24, 2023) – Quux & Quux (NYSE: QQ) today "
                "announced results for fourth-quarter and full year 2022.").fields
    assert got["issuer"] == "Quux & Quux" and got["tickers"] == ["QQ"]
    assert got["period"] == "2022Q4" and got["date"] == "2023-01-24"
    assert got["title"] != "FOR IMMEDIATE RELEASE"


A_SHARE = ["示例科技股份有限公司\n2025年年度报告\n2026年03月",
           "第一节重要提示、目录和释义\n释义\n释义项指释义内容\n示例科技、公司、本公司、上市公司指示例科技股份有限公司"
           "示例软件指北京示例软件有限公司报告期、本期指2025年1月1日至2025年12月31日",
           "第二节公司简介和主要财务指标\n一、公司信息\n股票简称示例科技 A 股票代码300999\n公司的中文名称示例科技股份有限公司"
           "公司的中文简称示例公司的外文名称（如有） Example Technology Co., Ltd.\n公司的外文名称缩写（如有） EXT\n"]


def test_a_share_annual_report_company_information_and_definitions():
    inf = infer("report.pdf", *A_SHARE)
    got = inf.fields
    assert got["kind"] == "annual report" and got["period"] == "FY2025" and got["period_end"] == "2025-12-31"
    assert got["issuer"] == "示例科技股份有限公司" and got["tickers"] == ["300999"]
    # 股票简称 (with its share-class letter), 中文简称, 外文名称, 缩写 and the 释义 term; not 公司/本公司
    assert {"示例科技A", "示例", "Example Technology Co., Ltd.", "EXT", "示例科技"} <= set(got["aliases"])
    assert not {"公司", "本公司", "上市公司", "示例软件"} & set(got["aliases"])
    assert inf.evidence["period_end"].startswith("p.2 ") and "报告期" in inf.evidence["period_end"]
    assert got["date"] == "2026-03"


def test_a_share_quarterly_report_cover():
    got = infer("report.md", "证券代码：600999 证券简称：示例酒业\n\n示例酒业股份有限公司\n2024 年第三季度报告\n\n"
                "本公司董事会及全体董事保证本公告内容不存在任何虚假记载。\n\n示例酒业股份有限公司董事会\n2024 年 10 月 26 日").fields
    assert got["kind"] == "quarterly report" and got["period"] == "2024Q3" and got["period_end"] == "2024-09-30"
    assert "600999" in got["tickers"] and got["language"] == "zh"
    assert got["date"] == "2024-10-26"
    assert got["issuer"] == "示例酒业股份有限公司" and "示例酒业" in got["aliases"]


def test_hk_interim_report_cover_and_definitions():
    inf = infer("x.md", "示例集团控股有限公司\n纽交所代码：EXG 港交所代号：9999\n2025财务年度中期报告\n截至2024年9月30日止六个月",
                "释义\n除文义另有规定外，在本中期报告内凡提述以下词语的涵义如下：\n"
                "- 「示例」、「示例集团」、「本集团」、「公司」或「我们」指Example Group Holding Limited（示例集团控股有限公司），"
                "一家在开曼群岛设立的有限责任公司")
    got = inf.fields
    assert (got["kind"], got["period"], got["period_end"]) == ("interim report", "FY2025H1", "2024-09-30")
    assert {"EXG", "9999"} <= set(got["tickers"])
    assert {"示例", "示例集团", "Example Group Holding Limited"} <= set(got["aliases"])
    assert not {"本集团", "公司", "我们"} & set(got["aliases"])


def test_english_report_heading():
    got = infer("y.txt", "Some Company Limited\n2024 Annual Report\nThe board of Some Company Limited presents the report.").fields
    assert got["kind"] == "annual report" and got["period"] == "FY2024"


def test_news_article_subject():
    got = infer("a.txt", "示例云近期股价大幅上涨,引发市场广泛关注。分析师认为示例云的增长来自AI。示例云还宣布在巴西开设数据中心。"
                "示例的竞争对手也在加大投入。示例云将继续投入。").fields
    assert got["kind"] == "news article" and got["issuer"] == "示例云"


def test_file_name_gives_kind_and_period_but_not_the_issuer():
    got = infer("ACME_2023Q1_EARNINGS.txt", "Revenue was up.").fields
    assert "issuer" not in got                       # which company it is must come from the contents
    assert got["kind"] == "earnings release" and got["period"] == "2023Q1"
    got = infer("acme-fy2025-annual-report.md", "Dear Shareholders, it was a good year.").fields
    assert got["kind"] == "annual report" and got["period"] == "FY2025"


def test_evidence_is_kept_for_every_field():
    inf = infer("report.pdf", *A_SHARE)
    assert set(inf.evidence) == set(inf.fields) and all(inf.evidence.values())


def test_alias_file(tmp_path, monkeypatch):
    from rag.metadata import alias_paths, load_aliases

    (tmp_path / "aliases.toml").write_text('[[company]]\nnames = ["Acme Rockets Corporation", "ARC", "艾克米"]\n'
                                           '[[company]]\nnames = ["Nobody Inc."]\n', encoding="utf-8")
    book = load_aliases(alias_paths(tmp_path))
    assert book.extra_names(["ACME ROCKETS CORP.", "Acme Rockets Corporation"]) == ["ARC", "艾克米"]
    assert book.extra_names(["Zenith Motors Inc."]) == []
    bad = tmp_path / "bad.toml"
    bad.write_text("[[company]\nnames=", encoding="utf-8")
    monkeypatch.setenv("RAG_ALIASES", str(bad))
    with pytest.warns(UserWarning, match="ignoring alias file"):
        book = load_aliases(alias_paths(tmp_path))
    assert book.groups == [["Acme Rockets Corporation", "ARC", "艾克米"]]


def test_shipped_alias_file_holds_no_entries():
    from rag.metadata import load_aliases
    from rag.vocabulary import DATA_DIR

    assert load_aliases([DATA_DIR / "aliases.toml"]).groups == []


def test_concatenated_interim_reports_cover_every_year_even_when_the_first_title_line_was_joined():
    # a short cover page whose title line cleaning joined to the tickers under it; the later reports'
    # covers sit at the foot of the previous report's last page, title on a line of its own
    first = "Fiscal Year 2024 Interim Report NYSE: ACME HKEX: 1234"
    body = "ACME HOLDINGS LIMITED\nINTERIM REPORT\nFOR THE SIX MONTHS ENDED SEPTEMBER 30, 2023\nRevenue was RMB100 million."
    later = "Free cash flow 77,110\n\nAcme Holdings Limited\nNYSE: ACME HKEX: 1234\nFiscal Year {} Interim Report"
    inf = infer("reports.txt", first, body, later.format(2022), body.replace("2023", "2021"), later.format(2023),
                body.replace("2023", "2022"))
    assert inf.fields["kind"] == "interim report"
    assert inf.fields["period"] == "FY2022H1-FY2024H1"
