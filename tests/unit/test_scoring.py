"""Eval scoring rules (evals/scoring.py)."""
from __future__ import annotations

import json

import pytest

from evals.scoring import answer_passes, load_suite, norm

DATACENTERS = {"id": "a22", "q": "阿里宣布将在哪些国家新开数据中心?",
               "all": [["巴西", "Brazil"], ["法国", "France"], ["荷兰", "Netherlands"]]}
PROJECTION = {"id": "a08", "q": "What total global AI-related investment?",
              "all": [["4万亿", "4 trillion", "four trillion"]]}


def test_all_requires_every_group():
    assert answer_passes(DATACENTERS, "还宣布在巴西、法国和荷兰开设数据中心", False)
    assert answer_passes(DATACENTERS, "Brazil, France and the Netherlands", False)
    assert not answer_passes(DATACENTERS, "在巴西和法国开设数据中心", False)


def test_any_requires_one_group():
    item = {"id": "x", "q": "?", "any": [["Brazil"], ["Japan"]]}
    assert answer_passes(item, "a data center in Japan", False)
    assert not answer_passes(item, "a data center in Chile", False)


def test_abstained_answer_never_passes_a_non_refuse_item():
    assert not answer_passes(PROJECTION, "4万亿美元", True)


def test_refuse_item_passes_only_when_abstained():
    item = {"id": "r", "q": "Who chairs the audit committee?", "refuse": True}
    assert answer_passes(item, "The indexed documents do not say.", True)
    assert not answer_passes(item, "Jane Doe chairs it.", False)


def test_whitespace_case_and_nfkc_normalisation():
    assert answer_passes(PROJECTION, "global AI investment could reach 4trillion dollars", False)
    assert answer_passes(PROJECTION, "could reach FOUR   TRILLION", False)
    assert answer_passes(PROJECTION, "有望达到４万亿美元规模", False)  # full-width digit
    assert answer_passes(PROJECTION, "有望达到4 万 亿美元", False)
    assert not answer_passes(PROJECTION, "有望达到5万亿美元", False)
    assert norm("２６％ Growth\n") == "26%growth"


def test_load_suite_validates_items(tmp_path):
    good = tmp_path / "ok.jsonl"
    good.write_text(json.dumps(PROJECTION, ensure_ascii=False) + "\n\n"
                    + json.dumps({"id": "r", "q": "?", "refuse": True}) + "\n", encoding="utf-8")
    assert [i["id"] for i in load_suite(good)] == ["a08", "r"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "b", "q": "?", "all": [["x"]], "answer": "y"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_suite(bad)

    empty = tmp_path / "noexpect.jsonl"
    empty.write_text(json.dumps({"id": "c", "q": "?"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="neither"):
        load_suite(empty)


def test_bundled_article_suites_load(repo):
    for name in ("article.dev.jsonl", "article.test.jsonl"):
        items = load_suite(repo / "evals" / "suites" / name)
        assert len(items) >= 20
        assert all(i["id"] and i["q"] for i in items)
