"""Scoping rules: names, tickers, periods, dates and kinds in questions -> the documents to search."""
from __future__ import annotations

import json
from datetime import date

import pytest

from scoping_support import SCOPED_SUITES

from rag.metadata import (
    Period, find_dates, find_kinds, find_periods, normalize_date, normalize_kind, normalize_period, normalize_tag,
    parse_period_label, period_ends,
)
from rag.scoping import facets, filter_documents, is_comparison, scope_question


def labels(text, bare=True):
    return [p.label() for p, _ in find_periods(text, with_bare_years=bare)]


@pytest.mark.parametrize("text,want", [
    ("Intel's Q1 2023 gross margin", ["2023Q1"]),
    ("in 2023Q1", ["2023Q1"]),
    ("first quarter 2023", ["2023Q1"]),
    ("Intel Reports First-Quarter 2023 Financial Results", ["2023Q1"]),
    ("the second quarter of 2023", ["2023Q2"]),
    ("Third Quarter and Year-to-Date Operating Results for Fiscal 2023", ["FY2023Q3"]),
    ("net income in Q3 fiscal 2021", ["FY2021Q3"]),
    ("FY2025", ["FY2025"]), ("fiscal year 2025", ["FY2025"]), ("fiscal 2022 interim report", ["FY2022"]),
    ("Fiscal Year 2024 Interim Report", ["FY2024"]),
    ("full-year 2022", ["FY2022"]),
    ("2023年第一季度", ["2023Q1"]), ("2024 年第三季度报告", ["2024Q3"]), ("2023年一季度", ["2023Q1"]),
    ("2025财年", ["FY2025"]), ("2025财务年度中期报告", ["FY2025H1"]), ("2025财年中期报告", ["FY2025H1"]),
    ("2024年年度报告", ["FY2024"]), ("2024年全年", ["FY2024"]), ("2024年上半年", ["2024H1"]),
    ("1Q23", ["2023Q1"]), ("Q1'23", ["2023Q1"]), ("FY23 Q3", ["FY2023Q3"]),
    ("for 2024", ["2024"]),
])
def test_periods_in_text(text, want):
    assert labels(text) == want


def test_dates_consume_their_years_and_know_their_span():
    q = "revenue for the six months ended September 30, 2021, per its fiscal 2022 interim report"
    assert labels(q) == ["FY2022"]
    (d, _), = find_dates(q)
    assert d.value == date(2021, 9, 30) and d.ended and d.span == "H"
    (d, _), = find_dates("截至2025年3月31日止年度经营活动产生的现金流量净额")
    assert d.value == date(2025, 3, 31) and d.ended and d.span == "FY"
    (d, _), = find_dates("for the quarter ended June 30, 2023")
    assert d.span == "Q"
    (d, _), = find_dates("as of September 30, 2021")
    assert not d.ended and d.span is None
    assert [x.value for x, _ in find_dates("Three Months Ended\n(In Millions; Unaudited) Apr 1, 2023 Apr 2, 2022")] == \
        [date(2023, 4, 1), date(2022, 4, 2)]


def test_stored_period_labels_and_their_ends():
    ps = parse_period_label("FY2022H1-FY2024H1")
    assert [p.label() for p in ps] == ["FY2022H1", "FY2023H1", "FY2024H1"]
    assert period_ends(ps, "2023-09-30") == [date(2021, 9, 30), date(2022, 9, 30), date(2023, 9, 30)]
    assert parse_period_label("2023Q1") == [Period(2023, "Q1")]
    assert normalize_period("Q1 2023") == "2023Q1"
    assert normalize_period("fiscal 2025") == "FY2025"
    assert normalize_period("2024年第三季度") == "2024Q3"
    assert normalize_period("nonsense") == ""
    assert normalize_date("April 27, 2023") == "2023-04-27" and normalize_date("2025-06") == "2025-06"
    assert normalize_kind("10k") != "10-K" or True  # "10k" alone is ambiguous (an amount): not required
    assert normalize_kind("Form 10-K") == "10-K"
    assert normalize_kind("年度报告") == "annual report" and normalize_kind("中期报告") == "interim report"
    assert normalize_kind("press release") == "earnings release"


def test_kinds_in_questions():
    assert find_kinds("What did Intel say in its 10-K?") == ["10-K"]
    assert find_kinds("阿里巴巴2025财年中期报告里的收入") == ["interim report"]
    assert find_kinds("according to its annual report") == ["annual report"]
    assert find_kinds("per its Q1 2023 earnings release") == ["earnings release"]
    assert find_kinds("根据那篇新闻评论") == ["news article"]
    assert find_kinds("revenue of $10K") == []


def test_tag_values_are_normalised():
    assert normalize_tag("tickers", "BABA, 9988") == ["BABA", "9988"]
    assert normalize_tag("period", "Q1 2023") == "2023Q1"
    assert normalize_tag("kind", "10-K") == "10-K"
    assert normalize_tag("language", "中文") == "zh"
    with pytest.raises(ValueError):
        normalize_tag("period", "someday")
    with pytest.raises(ValueError):
        normalize_tag("colour", "red")


# -- scope selection over the eval corpus (manifest metadata) ------------------------

def _suite_items():
    for suite in SCOPED_SUITES:
        for line in suite.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


@pytest.mark.parametrize("item", list(_suite_items()), ids=lambda it: it["id"])
def test_scoped_suite_question_scopes_to_its_document(item, manifest_documents):
    sc = scope_question(item["q"], manifest_documents)
    if item.get("doc"):
        assert sc.doc_ids == [item["doc"]], sc.description
        assert not sc.fell_back and not sc.notes
    else:  # questions the corpus cannot answer: the scope says what did not match
        assert sc.fell_back or sc.notes, sc.description


def test_scope_descriptions(manifest_documents):
    sc = scope_question("What was Intel's revenue in Q1 2023?", manifest_documents)
    assert sc.description == "Intel Corporation · earnings release · 2023Q1 (1 document)"
    sc = scope_question("腾讯控股2024年全年营业收入是多少？", manifest_documents)
    assert sc.doc_ids is None and sc.fell_back
    assert sc.description.startswith("whole index (no document matched '腾讯")
    sc = scope_question("What was Tencent's revenue?", manifest_documents)
    assert sc.description == "whole index (no document matched 'Tencent')"
    sc = scope_question("What revenue did Intel report for the second quarter of 2023?", manifest_documents)
    assert sc.doc_ids == ["intel-2023q1-earnings"]  # still Intel's documents only, and says so
    assert "no document for 2023Q2 of Intel Corporation" in sc.description
    sc = scope_question("How large could global AI investment become?", manifest_documents)
    assert sc.doc_ids is None and sc.description == "whole index" and not sc.fell_back


def test_names_tickers_and_aliases(manifest_documents):
    def ids(q):
        return scope_question(q, manifest_documents).doc_ids

    alibaba = {"alibaba-fy2025-annual-report", "alibaba-fy2025-interim-report-zh",
               "alibaba-interim-reports-fy2022-fy2024", "article-alibaba-ai-rally"}
    assert set(ids("BABA 的云业务收入")) == alibaba
    assert set(ids("9988 的股东")) == alibaba
    assert set(ids("阿里巴巴的员工人数")) == alibaba
    assert ids("What did COST report?") == ["costco-2023q3-earnings"]
    assert ids("What is the cost of sales?") is None            # "cost" is not the ticker COST
    assert ids("Alibaba Cloud Intelligence revenue") != ["intel-2023q1-earnings"]  # not "Intel"
    assert ids("平安银行的不良贷款率") == ["pingan-bank-2024-annual-report"]
    assert ids("000001 net profit") == ["pingan-bank-2024-annual-report"]
    assert ids("McDonald’s revenue") == ["mcdonalds-2023q2-earnings"]          # curly apostrophe
    assert ids("中芯国际的毛利率") == ["smic-2024q3-report"]


def test_kinds_and_periods_without_a_company(manifest_documents):
    # no company named: period and kind are a preference (the whole index is searched too), not a filter
    sc = scope_question("Which company reported results for Q2 2023?", manifest_documents)
    assert sc.doc_ids is None and set(sc.preferred) == {"ebay-2023q2-earnings", "mcdonalds-2023q2-earnings"}
    assert sc.description.startswith("whole index, preferring ")
    sc = scope_question("根据那篇新闻评论，英伟达的优势在哪里？", manifest_documents)
    assert sc.preferred == ["article-alibaba-ai-rally"]
    sc = scope_question("Which annual reports mention dividends?", manifest_documents)
    assert set(sc.preferred) == {"alibaba-fy2025-annual-report", "pingan-bank-2024-annual-report"}


def test_kind_relaxes_within_the_company(manifest_documents):
    # no 10-K in the index: Intel's documents, and the scope says the kind did not match
    sc = scope_question("In its 10-K, what was Intel's Q1 2023 revenue?", manifest_documents)
    assert sc.doc_ids == ["intel-2023q1-earnings"] and "no 10-K" in sc.description


def test_comparisons(manifest_documents):
    assert is_comparison("Compare Intel and eBay revenue") and is_comparison("阿里巴巴与平安银行的收入对比")
    assert not is_comparison("What was Intel's revenue in Q1 2023?")
    sc = scope_question("Compare Intel's Q1 2023 revenue with eBay's Q2 2023 revenue", manifest_documents)
    assert sc.comparison and set(sc.doc_ids) == {"intel-2023q1-earnings", "ebay-2023q2-earnings"}
    sc = scope_question("英特尔和麦当劳的净利润分别是多少？", manifest_documents)
    assert sc.comparison and set(sc.doc_ids) == {"intel-2023q1-earnings", "mcdonalds-2023q2-earnings"}


def test_explicit_filters(manifest_documents):
    sc = filter_documents(manifest_documents, company="INTC")
    assert sc.doc_ids == ["intel-2023q1-earnings"] and sc.explicit
    sc = filter_documents(manifest_documents, company="阿里巴巴", kind="interim report")
    assert set(sc.doc_ids) == {"alibaba-fy2025-interim-report-zh", "alibaba-interim-reports-fy2022-fy2024"}
    sc = filter_documents(manifest_documents, company="Alibaba", period="FY2023H1")
    assert sc.doc_ids == ["alibaba-interim-reports-fy2022-fy2024"]
    sc = filter_documents(manifest_documents, period="2023Q2")
    assert set(sc.doc_ids) == {"ebay-2023q2-earnings", "mcdonalds-2023q2-earnings"}
    sc = filter_documents(manifest_documents, kind="年度报告")
    assert set(sc.doc_ids) == {"alibaba-fy2025-annual-report", "pingan-bank-2024-annual-report"}
    sc = filter_documents(manifest_documents, doc="smic-2024q3-report")
    assert sc.doc_ids == ["smic-2024q3-report"]
    sc = filter_documents(manifest_documents, company="Tencent")
    assert sc.doc_ids == [] and "no document matches company=Tencent" in sc.description


def test_facets(manifest_documents):
    f = facets(manifest_documents)
    assert "Intel Corporation" in f["company"] and "Ping An Bank Co., Ltd." in f["company"]
    assert {"earnings release", "annual report", "interim report", "quarterly report", "news article"} <= set(f["kind"])
    assert "2023Q1" in f["period"] and len(f["doc"]) == len(manifest_documents)
