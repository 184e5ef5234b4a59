"""Metadata inferred from the real shared documents alone (no manifest): the file name and first pages.

The accuracy over all 30 shared documents is ``tests/metadata/test_metadata_truth.py``; this file
checks the corpus documents' other fields (dates, titles, the names questions use) and that the
multi-company suite scopes correctly on inferred metadata.
"""
from __future__ import annotations

import pytest

from scoping_support import load, shared_file

from rag.metadata import infer_metadata

# what a reader of each document's cover/first lines would write down (names the document prints)
EXPECTED = {
    "INTEL_2023Q1_EARNINGS.pdf": dict(
        issuer="Intel Corporation", tickers={"INTC"}, kind="earnings release", period="2023Q1",
        period_end="2023-04-01", date="2023-04-27", language="en",
        title="Intel Reports First-Quarter 2023 Financial Results", aliases={"Intel"}),
    "EBAY_2023Q2_EARNINGS.pdf": dict(
        issuer="eBay Inc.", tickers={"EBAY"}, kind="earnings release", period="2023Q2",
        period_end="2023-06-30", date="2023-07-26", language="en",
        title="eBay Inc. Reports Better Than Expected Second Quarter 2023 Results"),
    "MCDONALDS_2023Q2_EARNINGS.pdf": dict(
        issuer="McDonald's Corporation", kind="earnings release", period="2023Q2",
        period_end="2023-06-30", date="2023-07-27", language="en",
        title="McDonald's Reports Second Quarter 2023 Results", aliases={"McDonald's"}),
    "COSTCO_2023Q3_EARNINGS.pdf": dict(
        issuer="Costco Wholesale Corporation", tickers={"COST"}, kind="earnings release", period="FY2023Q3",
        period_end="2023-05-07", date="2023-05-25", language="en", aliases={"Costco"}),
    "alibaba-fy2025-annual-report.md": dict(
        issuer="Alibaba Group Holding Limited", kind="annual report", period="FY2025",
        period_end="2025-03-31", language="en", aliases={"Alibaba Group", "Alibaba"}),
    "alibaba-fy2025-interim-report-zh.md": dict(
        issuer="阿里巴巴集团控股有限公司", tickers={"BABA", "9988"}, kind="interim report", period="FY2025H1",
        period_end="2024-09-30", language="zh", aliases={"阿里巴巴", "阿里巴巴集团", "Alibaba Group Holding Limited"}),
    "alibaba-interim-reports-fy2022-fy2024.txt": dict(
        issuer="Alibaba Group Holding Limited", tickers={"BABA", "9988"}, kind="interim report",
        period="FY2022H1-FY2024H1", period_end="2023-09-30", language="en", aliases={"Alibaba"}),
    "article-alibaba-ai-rally.zh.txt": dict(
        issuer="阿里巴巴", kind="news article", language="zh", aliases={"阿里"}),
    "pingan-bank-2024-annual-report-zh.pdf": dict(
        issuer="平安银行股份有限公司", tickers={"000001"}, kind="annual report", period="FY2024",
        period_end="2024-12-31", language="zh", aliases={"平安银行", "Ping An Bank Co., Ltd.", "PAB"},
        title="平安银行股份有限公司 2024年年度报告"),
    "smic-2024q3-report-zh.md": dict(
        issuer="中芯国际集成电路制造有限公司", tickers={"688981"}, kind="quarterly report",
        period="2024Q3", period_end="2024-09-30", language="zh", aliases={"中芯国际"},
        title="中芯国际集成电路制造有限公司2024年第三季度报告"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inferred_metadata_of_shared_document(name):
    inf = infer_metadata(shared_file(name), load(name))
    got = inf.fields
    for key, want in EXPECTED[name].items():
        if isinstance(want, set):
            assert want <= set(got.get(key, [])), (name, key, got.get(key))
        else:
            assert got.get(key) == want, (name, key, got.get(key), inf.evidence.get(key))
    # every inferred field says where it came from
    assert set(inf.evidence) == set(got)
    assert all(inf.evidence.values())


def test_smic_misprinted_board_date_is_not_taken_as_publication_date():
    # the report closes with "董事会 2023 年 11 月 7 日" (a misprint for 2024): before the period ends -> rejected
    inf = infer_metadata(shared_file("smic-2024q3-report-zh.md"), load("smic-2024q3-report-zh.md"))
    assert "date" not in inf.fields


def _inferred_docs():
    from scoping_support import MANIFESTS

    from ingest.manifest import load_manifest

    ids = {}
    for mp in MANIFESTS:
        m = load_manifest(mp)
        ids.update({m.path_of(d).name: d.id for d in m.documents})
    return [{"doc_id": ids[name], "version": "v", "source": str(shared_file(name)),
             "meta": infer_metadata(shared_file(name), load(name)).fields} for name in EXPECTED]


def test_one_company_in_two_languages_is_one_issuer():
    """The Chinese interim report gives its English legal name in its 释义; the article shares a short name:
    all Alibaba documents are one issuer (for the one-issuer-per-answer rule and for scoping)."""
    from rag.scoping import document_index

    index = document_index(_inferred_docs())
    keys = {d.doc_id: d.issuer_key for d in index.docs}
    alibaba = {keys[i] for i in ("alibaba-fy2025-annual-report", "alibaba-fy2025-interim-report-zh",
                                 "alibaba-interim-reports-fy2022-fy2024", "article-alibaba-ai-rally")}
    assert len(alibaba) == 1
    assert len(set(keys.values())) == 7


def test_scoped_suite_scopes_correctly_on_inferred_metadata():
    """The multi-company suite on metadata inferred from the documents alone: every answerable question
    points at its document, except a Chinese name of a company whose documents are English only
    (麦当劳 for McDonald's: no document prints it), which is never confined to another company's documents."""
    import json

    from scoping_support import SCOPED_SUITES

    from rag.scoping import scope_question

    docs = _inferred_docs()
    misses = []
    for suite in SCOPED_SUITES:
        for line in suite.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            sc = scope_question(item["q"], docs)
            if item.get("doc"):
                if sc.documents != [item["doc"]]:
                    misses.append((item["id"], sc.description))
                    # a miss is a preference that includes the right document, never a hard wrong scope
                    assert sc.doc_ids is None and item["doc"] in (sc.preferred or [item["doc"]]), (item, sc)
            else:   # questions the corpus cannot answer: the scope says what did not match
                assert sc.fell_back or sc.notes, (item["id"], sc.description)
    assert [m[0] for m in misses] == ["s09"], misses
