"""External benchmarks in `rag eval`: reading both formats, the fixed split, page and figure scoring."""
from __future__ import annotations

import json

import pytest

from evals import external
from evals.figures import gold_figures, states_figure
from evals.shared import shared_benchmarks
from rag.types import Answer, Citation


@pytest.mark.parametrize("gold, answer", [
    ("$2,018mn", "Adjusted EBITDA was $2,018 million [1]"),
    ("$2,018mn", "Adjusted EBITDA of $2.018 billion [1]"),
    ("1,577", "revenue of 1.577 billion"),
    ("$3215.00", "Free cash flow 3,215 [1]"),
    ("$8,400,000,000", "up to $8.4 billion [1]"),
    ("48,783,353.20元", "现金红利共计48,783,353.20元（含税）[1]"),
    ("10,847,327,682", "金融负债合计 10,847,327,682.00 [1]"),
    ("From 20% in FY2021 to 23% in FY 2022.", "The effective tax rate was 23% [1]"),
    ("Corporate. Its net revenue was -$473 million.", "Corporate (473) [1]"),
    ("0", "衍生金融资产 0.00 [1]"),
])
def test_a_gold_figure_is_found_in_any_unit_and_notation(gold, answer):
    assert states_figure(answer, gold) is True


@pytest.mark.parametrize("gold, answer", [
    ("24.26", "about 24.3"),             # less precise than the gold
    ("$2,018mn", "EBITDA of $2,108 million"),
    ("1.9%", "capex was 1.8% of revenue"),
])
def test_a_different_or_less_precise_figure_does_not_match(gold, answer):
    assert states_figure(answer, gold) is False


def test_years_and_figures_the_question_gives_are_not_gold_figures():
    q = "公司打算按每10股派0.8元（含税）分红，当时总股本609,791,915股，总共要发多少含税现金红利？"
    assert [f.text for f in gold_figures("2025年：48,783,353.20元", q)] == ["48,783,353.20"]
    assert states_figure("No figure here.", "Yes, it did in FY2022.") is None
    assert states_figure("当时总股本609,791,915股", "609,791,915股 × 0.08 = 48,783,353.20元", q) is False


def _bench(tmp_path, rows, docs=("A_2022_10K", "B_2021_10K")):
    (tmp_path / "pdfs").mkdir()
    for d in docs:
        (tmp_path / "pdfs" / f"{d}.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return tmp_path


def _fb(i, doc, page, answer="$1,234 million"):
    return {"financebench_id": i, "doc_name": doc, "question": f"q {i}?", "answer": answer,
            "question_type": "metrics-generated",
            "evidence": [{"doc_name": doc, "evidence_page_num": page, "evidence_text": "t"}]}


def test_financebench_pages_are_0_based_and_the_split_assigns_each_question_a_half(tmp_path):
    folder = _bench(tmp_path, [_fb("x1", "A_2022_10K", 4), _fb("x2", "B_2021_10K", 0)])
    b = external.load_benchmark(folder, "fb", {"tune": ["A_2022_10K"], "check": ["B_2021_10K.pdf"]})
    x1, x2 = b.items
    assert x1.gold_pages == {("A_2022_10K", 5)} and x2.gold_pages == {("B_2021_10K", 1)}
    assert (x1.half, x2.half) == ("tune", "check")
    assert [(h, [i.id for i in items]) for h, items in b.halves()] == [("tune", ["x1"]), ("check", ["x2"])]


def test_findoc_pages_are_1_based(tmp_path):
    folder = _bench(tmp_path, [{"id": "m1", "question": "多少？", "ground_truth": "7.66%", "files": ["r.pdf"],
                                "pages": [18], "scene": "factual"}], docs=("r",))
    (item,) = external.load_benchmark(folder, "zh", {}).items
    assert item.gold_pages == {("r", 18)} and item.docs == ["r"] and item.half == ""


@pytest.mark.parametrize("spec, problem", [
    ({"tune": ["A_2022_10K", "B_2021_10K"], "check": ["B_2021_10K"]}, "both halves"),
    ({"tune": ["A_2022_10K"], "check": ["C_2020_10K"]}, "not in"),
    ({"tune": ["A_2022_10K"]}, "not all in one half"),
])
def test_a_bad_split_fails_loudly(tmp_path, spec, problem):
    folder = _bench(tmp_path, [_fb("x1", "A_2022_10K", 4), _fb("x2", "B_2021_10K", 0)])
    with pytest.raises(external.BenchmarkError, match=problem):
        external.load_benchmark(folder, "fb", spec)


def test_a_missing_benchmark_says_where_it_looked(tmp_path):
    with pytest.raises(external.BenchmarkError, match="RAG_SHARED_BENCHMARKS"):
        external.load_benchmark(tmp_path / "nope", "nope", {})


def _answer(text, cites, abstained=False):
    cs = [Citation(n=i + 1, doc_id=d, title="", source="", page=p, quote="q") for i, (d, p) in enumerate(cites)]
    return Answer("q", text, abstained, cs)


def test_scoring_a_question_cited_retrieved_right_document_figure_and_failure_kind():
    item = external.BenchItem("x", "What was revenue in USD millions?", "$1,234 million",
                              {("A_2022_10K", 5)}, ["A_2022_10K"])
    stems = {"a-2022-10k": "A_2022_10K", "b-2021-10k": "B_2021_10K"}
    passages = [{"doc_id": "a-2022-10k", "page": 7}, {"doc_id": "a-2022-10k", "page": 5}]
    ok = external.score_item(item, _answer("Revenue was $1.234 billion [1]", [("a-2022-10k", 5)]), passages, stems, 0.1)
    assert ok["gold_page_cited"] and ok["gold_page_retrieved"] and ok["right_document"]
    assert ok["figure_in_answer"] is True and ok["failure"] == "" and ok["chars"] == len("Revenue was $1.234 billion")

    other = external.score_item(item, _answer("Revenue rose [1]", [("a-2022-10k", 7)]), passages, stems, 0.1)
    assert not other["gold_page_cited"] and other["failure"] == "answerer cited another page"
    assert other["figure_in_answer"] is False

    wrong = external.score_item(item, _answer("x [1]", [("b-2021-10k", 5)]), [{"doc_id": "b-2021-10k", "page": 5}],
                                stems, 0.1)
    assert wrong["failure"] == "wrong document" and not wrong["gold_page_cited"]

    missed = external.score_item(item, _answer("x [1]", [("a-2022-10k", 9)]), [{"doc_id": "a-2022-10k", "page": 9}],
                                 stems, 0.1)
    assert missed["failure"] == "retrieval missed the page"

    refused = external.score_item(item, _answer("The indexed documents do not say.", [], abstained=True), passages,
                                  stems, 0.1)
    assert refused["failure"].startswith("abstained") and refused["figure_in_answer"] is False

    long = external.score_item(item, _answer("x" * 400 + " [1]", [("a-2022-10k", 5)]), passages, stems, 0.1)
    assert long["failure"] == "answer too long"

    res = external.BenchResult("ours", [ok, other, wrong, missed, refused, long])
    m = res.metrics()
    assert m["items"] == 6 and m["gold_page_cited"] == round(2 / 6, 4) and m["abstained"] == round(1 / 6, 4)
    assert m["short_answers"] == round(4 / 5, 4)
    assert {k for k, _, _ in res.failure_kinds()} == {"answerer cited another page", "wrong document",
                                                       "retrieval missed the page", "abstained", "answer too long"}


def test_the_checked_in_split_covers_every_shipped_benchmark_document():
    root = shared_benchmarks()
    config = external.read_config()
    names = [n for n in config if n != "meta"]
    assert names == ["financebench-dev", "findoc-zh-dev"]
    if not all((root / n / "questions.jsonl").is_file() for n in names):
        pytest.skip(f"external benchmarks not found under {root} (put ../shared beside the checkout or set "
                    "RAG_SHARED_BENCHMARKS)")
    for bench in external.benchmarks_from(external.EXTERNAL):
        assert sorted(d for ds in bench.split.values() for d in ds) == sorted(p.stem for p in bench.pdfs)
        halves = dict(bench.halves())
        assert halves["tune"] and halves["check"]
        assert len(halves["tune"]) + len(halves["check"]) == len(bench.items)


def test_without_the_eval_extra_the_baseline_is_skipped_with_a_notice_naming_the_extra(monkeypatch):
    import builtins

    from evals import runner

    real_import = builtins.__import__

    def no_langchain_chroma(name, *args, **kwargs):
        if name.startswith("langchain_chroma"):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_langchain_chroma)
    said = []
    assert runner._baseline_available(said.append) is False
    assert "pip install -e '.[eval]'" in said[0] and "ours alone" in said[0]
