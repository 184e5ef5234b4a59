"""End to end on a real index: inferred metadata, automatic scope, filters, one issuer per answer, tags, CLI."""
from __future__ import annotations

import json

import pytest

ACME = """NEWS RELEASE
Acme Rockets Corporation Reports First Quarter 2023 Results
HOUSTON, Texas, April 20, 2023 (GLOBE NEWSWIRE) -- Acme Rockets Corporation (NYSE: ACME) today reported results for its first quarter ended March 31, 2023.
Revenue for the first quarter was $5.2 billion, up 8% from a year earlier.
Net income for the first quarter was $610 million.
Acme Rockets launched 14 rockets during the quarter.
"""
ZENITH = """NEWS RELEASE
Zenith Motors Inc. Reports First Quarter 2023 Results
DETROIT, Mich., April 25, 2023 (GLOBE NEWSWIRE) -- Zenith Motors Inc. (Nasdaq: ZEN) today reported results for its first quarter ended March 31, 2023.
Revenue for the first quarter was $7.9 billion, up 3% from a year earlier.
Net income for the first quarter was $450 million.
Zenith Motors delivered 91,000 cars during the quarter.
"""
MOUTAI = """证券代码：600519 证券简称：贵州茅台

贵州茅台酒股份有限公司
2024 年第三季度报告

本公司董事会及全体董事保证本公告内容不存在任何虚假记载、误导性陈述或者重大遗漏。

2024年第三季度，公司实现营业收入390.78亿元，同比增长15.6%。

贵州茅台酒股份有限公司董事会
2024 年 10 月 26 日
"""


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, shared_embedder):
    from rag import Assistant

    d = tmp_path_factory.mktemp("scoped-docs")
    (d / "acme-release.txt").write_text(ACME, encoding="utf-8")
    (d / "zenith-release.txt").write_text(ZENITH, encoding="utf-8")
    (d / "moutai-q3.md").write_text(MOUTAI, encoding="utf-8")
    a = Assistant(index_dir=tmp_path_factory.mktemp("scoped-index"), embedder=shared_embedder)
    report = a.ingest([d])
    assert report.ok, [r.line() for r in report]
    a.docs_dir = d
    yield a
    a.close()


def test_metadata_is_inferred_and_shown(assistant):
    docs = {d["doc_id"]: d["meta"] for d in assistant.sources()}
    acme = docs["acme-release"]
    assert acme["issuer"] == "Acme Rockets Corporation" and acme["tickers"] == ["ACME"]
    assert (acme["kind"], acme["period"], acme["period_end"], acme["date"]) == \
        ("earnings release", "2023Q1", "2023-03-31", "2023-04-20")
    assert "issuer" in acme["inferred"] and acme["inferred"]["issuer"]  # evidence for the user
    moutai = docs["moutai-q3"]
    assert (moutai["kind"], moutai["period"], moutai["language"]) == ("quarterly report", "2024Q3", "zh")
    assert "600519" in moutai["tickers"] and "贵州茅台" in moutai["aliases"]


def test_question_naming_a_company_is_answered_from_its_documents(assistant):
    ans = assistant.ask("What was Acme Rockets' revenue in Q1 2023?")
    assert ans.scope == "Acme Rockets Corporation · earnings release · 2023Q1 (1 document)"
    assert {p["doc_id"] for p in ans.passages} == {"acme-release"}
    assert all(c.doc_id == "acme-release" for c in ans.citations)
    ans = assistant.ask("ZEN 2023年第一季度的净利润是多少？")
    assert {p["doc_id"] for p in ans.passages} == {"zenith-release"}
    ans = assistant.ask("贵州茅台2024年第三季度营业收入是多少？")
    assert {p["doc_id"] for p in ans.passages} == {"moutai-q3"}


def test_unmatched_scope_falls_back_and_says_so(assistant):
    ans = assistant.ask("What was Tencent's revenue in 2024?")
    assert ans.scope.startswith("whole index (no document matched 'Tencent')")
    assert any("no document matched 'Tencent'" in n for n in ans.notices)
    ans = assistant.ask("What was Acme Rockets' revenue in Q3 2023?")
    assert "no document for 2023Q3 of Acme Rockets Corporation" in ans.scope
    assert {p["doc_id"] for p in ans.passages} == {"acme-release"}


def test_one_issuer_per_answer_unless_comparing(assistant):
    ans = assistant.ask("What was revenue for the first quarter of 2023?")
    issuers = {p["doc_id"] for p in ans.passages}
    assert len(issuers) == 1 and "answered from" in ans.scope
    assert {c.doc_id for c in ans.citations} <= issuers
    ans = assistant.ask("Compare the first quarter 2023 revenue of Acme Rockets and Zenith Motors")
    assert {p["doc_id"] for p in ans.passages} == {"acme-release", "zenith-release"}


def test_question_about_a_company_not_indexed_abstains(assistant):
    ans = assistant.ask("What was Globex Corporation's revenue in Q1 2023?")
    assert ans.abstained and ans.citations == [] and "Globex Corporation" in ans.text
    assert any("no document matched 'Globex Corporation'" in n for n in ans.notices)
    ans = assistant.ask("腾讯控股2024年第三季度营业收入是多少？")
    assert ans.abstained and "腾讯控股" in ans.text and "已索引的文档中没有" in ans.text
    # a company the indexed text discusses is not "absent": the question is searched as usual
    ans = assistant.ask("What did Acme Rockets launch during the quarter?")
    assert not ans.abstained
    # the probe reads the keyword index as it is stored (English words stemmed: "Rockets" -> rocket)
    assert assistant._mentioned("Acme Rockets") and assistant._mentioned("贵州茅台")
    assert not assistant._mentioned("Globex Corporation")


def test_alias_file_next_to_the_index(assistant):
    path = assistant.index_dir / "aliases.toml"
    path.write_text('[[company]]\nnames = ["Zenith Motors Inc.", "ZM Auto", "天顶汽车"]\n', encoding="utf-8")
    try:
        ans = assistant.ask("天顶汽车2023年第一季度的净利润是多少？")
        assert {p["doc_id"] for p in ans.passages} == {"zenith-release"}
    finally:
        path.unlink()
    ans = assistant.ask("天顶汽车2023年第一季度的净利润是多少？")    # without the file: only the period prefers
    assert ans.scope.startswith("whole index")


def test_scope_off_and_explicit_filters(assistant):
    ans = assistant.ask("What was Acme Rockets' revenue in Q1 2023?", scope=False)
    assert ans.scope == "whole index (scoping off)"
    ans = assistant.ask("What was the revenue?", filters={"company": "ZEN"})
    assert {p["doc_id"] for p in ans.passages} == {"zenith-release"} and "[filters: company=ZEN]" in ans.scope
    ans = assistant.ask("What was the revenue?", filters={"kind": "quarterly report"})
    assert {p["doc_id"] for p in ans.passages} == {"moutai-q3"}
    ans = assistant.ask("What was the revenue?", filters={"company": "Tencent"})
    assert ans.abstained and ans.passages == [] and ans.scope == "no document matches company=Tencent"
    # documents chosen by the user: keyword search inside them still leaves out the company and period the
    # question names, as it does when the question sets the scope itself
    q = "What was Zenith Motors' revenue in Q1 2023?"
    own, chosen = assistant.resolve_scope(q), assistant.resolve_scope(q, doc_ids=["zenith-release"])
    assert chosen.doc_ids == ["zenith-release"] and own.doc_ids == ["zenith-release"]
    assert chosen.query == own.query and chosen.query and "zenith" not in chosen.query.lower()
    with pytest.raises(ValueError):
        assistant.ask("x", filters={"colour": "red"})
    assert set(assistant.facets()["company"]) >= {"Acme Rockets Corporation", "Zenith Motors Inc."}


def test_tags_correct_metadata_and_survive_reingest(assistant):
    doc = assistant.tag("acme-release", aliases="Acme, 艾克米", period="Q1 2023")
    meta = doc["meta"]
    assert meta["aliases"] == ["Acme", "艾克米"] and meta["period"] == "2023Q1"
    assert {"aliases", "period"} <= set(meta["tagged"]) and "period" not in meta.get("inferred", {})
    ans = assistant.ask("艾克米的收入是多少？")   # the new alias scopes questions
    assert {p["doc_id"] for p in ans.passages} == {"acme-release"}
    with pytest.raises(KeyError):
        assistant.tag("no-such-doc", kind="10-K")
    # a changed file is re-ingested: metadata is inferred again, the user's tags are kept
    f = assistant.docs_dir / "acme-release.txt"
    f.write_text(ACME + "Acme Rockets also opened a new factory.\n", encoding="utf-8")
    report = assistant.ingest([f])
    assert [r.status for r in report] == ["replaced"]
    meta = assistant.store.catalog.document("acme-release")["meta"]
    assert meta["aliases"] == ["Acme", "艾克米"] and meta["issuer"] == "Acme Rockets Corporation"


def test_cli_filters_tag_and_sources(assistant, capsys):
    from rag.cli import main

    idx = str(assistant.index_dir)
    assistant.close()
    assert main(["--index", idx, "ask", "What was the net income?", "--company", "Zenith Motors", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "Zenith Motors Inc." in out["scope"] and all(c["doc_id"] == "zenith-release" for c in out["citations"])
    assert main(["--index", idx, "tag", "moutai-q3", "issuer=Kweichow Moutai", "date=2024-10-26"]) == 0
    out = capsys.readouterr().out
    assert "Kweichow Moutai (tagged)" in out and "2024-10-26 (tagged)" in out
    assert main(["--index", idx, "tag", "moutai-q3", "period=whenever"]) == 2
    assert main(["--index", idx, "tag", "moutai-q3", "novalue"]) == 2
    assert main(["--index", idx, "sources"]) == 0
    out = capsys.readouterr().out
    assert "Zenith Motors Inc.*" in out and "rag tag DOC key=value" in out
    assert main(["--index", idx, "sources", "--json"]) == 0
    docs = {d["doc_id"]: d["meta"] for d in json.loads(capsys.readouterr().out)}
    assert docs["moutai-q3"]["issuer"] == "Kweichow Moutai" and "issuer" in docs["moutai-q3"]["tagged"]

