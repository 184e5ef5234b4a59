"""Company matching, hard and soft scopes, "named but not indexed", and the fusion of scoped and
unscoped results, on made-up documents (the general rules; no real company)."""
from __future__ import annotations

import pytest
from langchain_core.documents import Document

from rag.company_names import company_candidates
from rag.metadata import AliasBook
from rag.scoping import document_index, fuse_preferring, scope_question


def doc(doc_id, issuer, kind, period, period_end="", aliases=(), tickers=(), source="", date=""):
    return {"doc_id": doc_id, "version": "v", "source": source or f"/docs/{doc_id}.pdf",
            "meta": {"issuer": issuer, "kind": kind, "period": period, "period_end": period_end,
                     "aliases": list(aliases), "tickers": list(tickers), "date": date}}


DOCS = [
    doc("gm-10k-2020", "General Mills, Inc.", "10-K", "FY2020", "2020-05-31", ["General Mills"], ["GIS"],
        "/docs/GENERALMILLS_2020_10K.pdf"),
    doc("jj-10k-2022", "Johnson & Johnson", "10-K", "FY2022", "2023-01-01", [], ["JNJ"], "/docs/JOHNSON_JOHNSON_2022_10K.pdf"),
    doc("jj-q4-2022", "Johnson & Johnson", "earnings release", "2022Q4", "", [], ["JNJ"],
        "/docs/JOHNSON_JOHNSON_2022Q4_EARNINGS.pdf", "2023-01-24"),
    doc("sq-10k-2020", "Square, Inc.", "10-K", "FY2020", "2020-12-31", ["Square"], ["SQ"], "/docs/BLOCK_2020_10K.pdf"),
    doc("cost-q3", "Costco Wholesale Corporation", "earnings release", "FY2023Q3", "2023-05-07", ["Costco"], ["COST"]),
    doc("bev-8k", "Acme Beverages, Inc.", "8-K", "", "", ["Acme Beverages"], ["ABV"], "/docs/ABV_8K.pdf", "2023-05-26"),
    doc("bev-q1", "Acme Beverages, Inc.", "earnings release", "2023Q1", "2023-03-25", ["Acme Beverages"], ["ABV"]),
    doc("znz-2025", "北京指南针科技发展股份有限公司", "annual report", "FY2025", "2025-12-31",
        ["指南针", "Beijing Compass Technology Development Co., Ltd."], ["300803"], "/docs/compass-2025-annual-report.pdf"),
    doc("sgt-2025", "陕西省国际信托股份有限公司", "annual report", "FY2025", "2025-12-31", ["陕国投A", "陕国投", "SITI"],
        ["000563"]),
]


def ids(q, docs=DOCS, **kw):
    return scope_question(q, docs, **kw)


@pytest.mark.parametrize("q,want", [
    ("What is GENERALMILLS's working capital ratio?", ["gm-10k-2020"]),             # spacing
    ("general mills FY2020 free cash flow", ["gm-10k-2020"]),                       # case, two words
    ("How did Johnson and Johnson's sales grow in FY2022?", ["jj-10k-2022"]),      # &/and, then the period
    ("Are JnJ's FY2022 financials those of a high growth company?", ["jj-10k-2022"]),  # a ticker in mixed case
    ("What did Block (formerly known as Square) earn in FY2020?", ["sq-10k-2020"]),  # file name and issuer agree
    ("指南针公司2025年研发投入占营业收入比例是多少？", ["znz-2025"]),                   # 证券简称 + 公司
    ("陕国投Ａ的信托资产总计期末余额是多少？", ["sgt-2025"]),                          # full-width share-class letter
    ("By how much did Acme Beverages increase its credit agreement on May 26, 2023?", ["bev-8k"]),  # the 8-K's date
    ("As of FY2023Q1, why did Acme Beverages raise guidance?", ["bev-q1"]),
])
def test_companies_match_loosely_and_scope_hard(q, want):
    sc = ids(q)
    assert sc.doc_ids == want, sc.description


def test_common_words_and_lower_case_tickers_are_not_names():
    assert ids("What is the cost of sales?").doc_ids is None          # "cost" is not COST
    assert ids("How many square feet of stores?").doc_ids is None     # "square" is not Square
    assert ids("What did COST report?").doc_ids == ["cost-q3"]


def test_period_without_a_company_is_a_preference():
    sc = ids("Which company's fiscal year 2025 annual report mentions trusts?")
    assert sc.doc_ids is None and set(sc.preferred) == {"znz-2025", "sgt-2025"}
    assert sc.documents == sc.preferred


def test_a_name_two_issuers_share_is_a_preference():
    docs = DOCS + [doc("other-sq", "Square Enix Holdings Co., Ltd.", "annual report", "FY2020", "", ["Square"])]
    sc = ids("What did Square earn in FY2020?", docs)
    assert sc.doc_ids is None and set(sc.preferred) >= {"sq-10k-2020"}


def test_a_file_name_alone_is_a_preference():
    docs = [doc("x1", "", "10-K", "FY2021", "", [], [], "/docs/NORTHWIND_2021_10K.pdf"),
            doc("x2", "Globex Corporation", "10-K", "FY2021", "", ["Globex"], ["GBX"])]
    sc = ids("What was Northwind's revenue in FY2021?", docs)
    assert sc.doc_ids is None and sc.preferred == ["x1"]


def test_named_company_not_in_the_index_abstains_when_that_is_certain():
    sc = ids("What was Initech's revenue in FY2020?")
    assert sc.absent == ["Initech"] and sc.fell_back and "no document matched 'Initech'" in sc.description
    sc = ids("腾讯控股2025年全年营业收入是多少？")
    assert sc.absent == ["腾讯控股"]
    # a company the documents discuss is not absent, though none of them is its own
    assert ids("What was Initech's revenue in FY2020?", mentioned=lambda n: n == "Initech").absent == []


def test_named_company_is_not_ruled_out_by_documents_written_in_another_script():
    docs = [doc("zh", "示例科技股份有限公司", "quarterly report", "2024Q3", "2024-09-30", ["示例科技", "Example Tech"],
                ["688999"]),
            doc("en", "Globex Corporation", "earnings release", "2024Q3", "", ["Globex"], ["GBX"])]
    docs[0]["meta"]["language"], docs[1]["meta"]["language"] = "zh", "en"
    # maybe the Chinese report's English name, or a company it discusses under its Chinese name
    sc = ids("What was EXTECH's gross margin in Q3 2024?", docs)
    assert sc.absent == [] and sc.fell_back
    sc = ids("英特尔2024年第三季度的毛利率是多少？", docs)               # no candidate: a name without 公司/集团…
    assert sc.absent == []
    sc = ids("What was Initech's revenue in Q3 2024?", [docs[1]])     # English documents can rule it out
    assert sc.absent == ["Initech"]
    # a name that did not match but cannot be ruled out: the period still says which documents to prefer
    docs.append(doc("en-old", "Globex Corporation", "earnings release", "2023Q3", "", ["Globex"], ["GBX"]))
    docs[2]["meta"]["language"] = "en"
    sc = ids("样本公司2024年第三季度的毛利率是多少？", docs)
    assert sc.absent == [] and sc.fell_back and set(sc.preferred) == {"zh", "en"}


def test_alias_file_names_scope_questions():
    book = AliasBook(groups=[["Acme Beverages, Inc.", "ACMEB", "艾克米饮料"]])
    index = document_index(DOCS, book)
    assert set(scope_question("艾克米饮料2023年第一季度的收入", index).doc_ids) == {"bev-q1"}
    assert set(scope_question("What did ACMEB report?", index).doc_ids) == {"bev-8k", "bev-q1"}


@pytest.mark.parametrize("q,found", [
    ("What was Tencent's revenue?", ["Tencent"]),
    ("Are JnJ's FY2022 financials healthy?", ["JnJ"]),
    ("What is the FY2019 fixed asset turnover ratio for Activision Blizzard?", ["Activision Blizzard"]),
    ("How much was the Real change in Sales for AMCOR in FY 2023 vs FY 2022?", ["AMCOR"]),
    ("英特尔（INTC）2023年第一季度财报中，GAAP每股收益是多少？", ["INTC"]),
    ("Costco（COST）2023财年第三季度的净销售额是多少？", ["Costco", "COST"]),
    ("腾讯控股2024年全年营业收入是多少？", ["腾讯控股"]),
    ("What was the Company's net income in Q1 2023?", []),
    ("What drove the change in Adjusted EBITDA and GAAP EPS?", []),
    ("我想查一下，2025年年报里披露的公司在期末持有的国债期货有多少？", []),
    ("根据那篇关于阿里巴巴AI投入的新闻评论，ADR一度上涨约多少？", []),
    ("阿里巴巴与哪家美国芯片公司达成了软件层面的合作？", []),          # a description, not a name
    ("示例酒业2025年净利润是多少？", ["示例酒业"]),                   # the words a question opens with before a year
    ("截至2024年12月31日总资产是多少？", []),
])
def test_company_candidates(q, found):
    assert [c for c, _ in company_candidates(q)] == found


def _d(cid):
    return Document(page_content=cid, metadata={"chunk_id": cid, "doc_id": cid.split(":")[0]})


def test_fusion_puts_the_preferred_documents_first_but_keeps_strong_outside_evidence():
    scoped = [_d("a:1"), _d("a:2"), _d("a:3")]
    unscoped = [_d("b:1"), _d("a:2"), _d("c:1"), _d("a:1")]
    fused = fuse_preferring(scoped, unscoped, k=4)
    got = [d.metadata["chunk_id"] for d in fused]
    assert got[:2] == ["a:2", "a:1"]            # in both lists: first
    assert "b:1" in got                          # the whole index's best passage still enters
    assert got.index("a:3") < len(got) and len(got) == 4
    assert fuse_preferring([], unscoped, k=2) == unscoped[:2]
    assert [d.metadata["chunk_id"] for d in fuse_preferring(scoped, [], k=2)] == ["a:1", "a:2"]
