"""Metadata inferred from the real shared documents alone (no manifest): the file name and first pages."""
from __future__ import annotations

import pytest

from scoping_support import load, shared_file

from rag.metadata import infer_metadata

# what a reader of each document's cover/first lines would write down
EXPECTED = {
    "INTEL_2023Q1_EARNINGS.pdf": dict(
        issuer="Intel Corporation", tickers={"INTC"}, kind="earnings release", period="2023Q1",
        period_end="2023-04-01", date="2023-04-27", language="en",
        title="Intel Reports First-Quarter 2023 Financial Results", aliases={"Intel", "英特尔"}),
    "EBAY_2023Q2_EARNINGS.pdf": dict(
        issuer="eBay Inc.", tickers={"EBAY"}, kind="earnings release", period="2023Q2",
        period_end="2023-06-30", date="2023-07-26", language="en",
        title="eBay Inc. Reports Better Than Expected Second Quarter 2023 Results"),
    "MCDONALDS_2023Q2_EARNINGS.pdf": dict(
        issuer="McDonald's Corporation", tickers={"MCD"}, kind="earnings release", period="2023Q2",
        period_end="2023-06-30", date="2023-07-27", language="en",
        title="McDonald's Reports Second Quarter 2023 Results", aliases={"麦当劳"}),
    "COSTCO_2023Q3_EARNINGS.pdf": dict(
        issuer="Costco Wholesale Corporation", tickers={"COST"}, kind="earnings release", period="FY2023Q3",
        period_end="2023-05-07", date="2023-05-25", language="en"),
    "alibaba-fy2025-annual-report.md": dict(
        issuer="Alibaba Group Holding Limited", tickers={"BABA", "9988"}, kind="annual report", period="FY2025",
        period_end="2025-03-31", language="en", aliases={"阿里巴巴", "Alibaba"}),
    "alibaba-fy2025-interim-report-zh.md": dict(
        issuer="Alibaba Group Holding Limited", tickers={"BABA", "9988"}, kind="interim report", period="FY2025H1",
        period_end="2024-09-30", language="zh", aliases={"阿里巴巴集团控股有限公司", "Alibaba"}),
    "alibaba-interim-reports-fy2022-fy2024.txt": dict(
        issuer="Alibaba Group Holding Limited", tickers={"BABA", "9988"}, kind="interim report",
        period="FY2022H1-FY2024H1", period_end="2023-09-30", language="en"),
    "article-alibaba-ai-rally.zh.txt": dict(
        issuer="Alibaba Group Holding Limited", kind="news article", language="zh"),
    "pingan-bank-2024-annual-report-zh.pdf": dict(
        issuer="Ping An Bank Co., Ltd.", tickers={"000001"}, kind="annual report", period="FY2024",
        period_end="2024-12-31", language="zh", aliases={"平安银行", "平安银行股份有限公司"},
        title="平安银行股份有限公司 2024年年度报告"),
    "smic-2024q3-report-zh.md": dict(
        issuer="Semiconductor Manufacturing International Corporation", tickers={"688981"}, kind="quarterly report",
        period="2024Q3", period_end="2024-09-30", language="zh", aliases={"中芯国际", "SMIC"},
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


def test_inference_works_without_the_builtin_issuer_table(monkeypatch):
    """Text patterns alone (headline, legal name, listing codes, cover) still name the issuer."""
    import rag.metadata as md

    monkeypatch.setattr(md, "KNOWN_ISSUERS", ())
    cases = {
        "INTEL_2023Q1_EARNINGS.pdf": ("Intel Corporation", set(), "earnings release", "2023Q1"),
        "COSTCO_2023Q3_EARNINGS.pdf": ("Costco Wholesale Corporation", {"COST"}, "earnings release", "FY2023Q3"),
        "smic-2024q3-report-zh.md": ("中芯国际集成电路制造有限公司", {"688981"}, "quarterly report", "2024Q3"),
        "pingan-bank-2024-annual-report-zh.pdf": ("平安银行股份有限公司", {"000001"}, "annual report", "FY2024"),
        "alibaba-interim-reports-fy2022-fy2024.txt": ("阿里巴巴集團控股有限公司", {"BABA", "9988"}, "interim report",
                                                      "FY2022H1-FY2024H1"),
    }
    for name, (issuer, tickers, kind, period) in cases.items():
        got = md.infer_metadata(shared_file(name), load(name)).fields
        assert got.get("issuer") == issuer, (name, got.get("issuer"))
        assert tickers <= set(got.get("tickers", [])), (name, got.get("tickers"))
        assert (got.get("kind"), got.get("period")) == (kind, period), name
    smic = md.infer_metadata(shared_file("smic-2024q3-report-zh.md"), load("smic-2024q3-report-zh.md")).fields
    assert "中芯国际" in smic["aliases"]  # 证券简称


def test_scoped_suite_scopes_correctly_on_inferred_metadata():
    """Every question of the multi-company suite lands on its document with metadata inferred (no manifest)."""
    import json

    from scoping_support import MANIFESTS, SCOPED_SUITES

    from ingest.manifest import load_manifest
    from rag.scoping import scope_question

    ids = {}
    for mp in MANIFESTS:
        m = load_manifest(mp)
        ids.update({m.path_of(d).name: d.id for d in m.documents})
    docs = [{"doc_id": ids[name], "version": "v", "meta": infer_metadata(shared_file(name), load(name)).fields}
            for name in EXPECTED]
    for suite in SCOPED_SUITES:
        for line in suite.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            sc = scope_question(item["q"], docs)
            if item.get("doc"):
                assert sc.doc_ids == [item["doc"]], (item["id"], item["q"], sc.description)
