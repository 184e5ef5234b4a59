"""The grounding check as pure functions: figures, units, languages, citations, sentences."""
from __future__ import annotations

import pytest

from rag.grounding import (check_answer, extract_quantities, mark_unverified, parse_citations, quantities_match,
                           split_answer)


def values(text: str, liberal: bool = False) -> list[tuple]:
    return [(q.value, q.unit, q.currency) for q in extract_quantities(text, liberal=liberal)]


@pytest.mark.parametrize("text, expected", [
    ("4万亿美元", [(4e12, "", "USD")]),
    ("530亿美元", [(5.3e10, "", "USD")]),
    ("US$53.0 billion", [(5.3e10, "", "USD")]),
    ("RMB996,347 million", [(9.96347e11, "", "CNY")]),
    ("26%", [(26.0, "%", None)]),
    ("HK$9,698 million", [(9.698e9, "", "HKD")]),
    ("1.5 trillion", [(1.5e12, "", None)]),
    ("人民币3,800亿元", [(3.8e11, "", "CNY")]),
    ("三千八百亿元", [(3.8e11, "", None)]),
    ("四万亿美元", [(4e12, "", "USD")]),
    ("百分之二十六", [(26.0, "%", None)]),
    ("grew 26 percent", [(26.0, "%", None)]),
    ("8个百分点", [(8.0, "%", None)]),
    ("US$5bn", [(5e9, "", "USD")]),
    ("1.2万亿港元", [(1.2e12, "", "HKD")]),
    ("5-10%", [(5.0, "%", None), (10.0, "%", None)]),
    ("30至50亿元", [(3e9, "", None), (5e9, "", None)]),
    ("increased by  $77%$  to RMB125,976 million (US\\ $17,360 million)",   # PDF-to-Markdown residue
     [(77.0, "%", None), (1.25976e11, "", "CNY"), (1.736e10, "", "USD")]),
])
def test_figures_and_units(text, expected):
    got = values(text)
    assert len(got) == len(expected), got
    for (v, u, c), (ev, eu, ec) in zip(got, expected):
        assert v == pytest.approx(ev) and u == eu and c == ec


@pytest.mark.parametrize("text", [
    "In fiscal year 2025 [1] the group said [2][3].",            # years and markers
    "2025年3月31日，截至2024财年",                                   # dates, fiscal years
    "March 31, 2025 and 30 September",                            # English dates
    "1. Cloud\n2. Commerce\n(3) Logistics",                       # list ordinals
    "Qwen3-Omni, Q3, FY2025, GPT-4o, 5G, A100, 3D",               # digits inside names
    "第3季度，第二，the 4th item, Note 12, p. 45",                   # ordinals, references
    "近四年来，三大主轴，一度上涨",                                       # Chinese numerals without magnitude (answer side)
])
def test_not_figures(text):
    assert values(text) == []


def test_passages_are_read_liberally():
    assert (4.0, "", None) in values("近四年来", liberal=True)
    assert (8.0, "%", None) in values("up eight percent", liberal=True)
    assert (5.0, "", None) in values("未来五年", liberal=True)


@pytest.mark.parametrize("answer, passage", [
    ("4万亿美元", "US$4 trillion"),
    ("US$4 trillion", "未来五年全球AI相关投资有望达到4万亿美元规模"),
    ("530亿美元", "US$53.0 billion"),
    ("US$53 billion", "三年逾530亿美元计划"),
    ("RMB996,347 million", "RMB996,347 million"),
    ("RMB996.3 billion", "RMB996,347 million"),               # within 0.5%
    ("RMB1 trillion", "RMB996,347 million"),                  # 0.37% off: accepted rounding
    ("RMB996,347 million", "Total revenue  996,347  941,168"),  # table cell, unit in the header
    ("26%", "grew 26 percent"),
    ("8%", "up eight percent"),
    ("5年", "未来五年"),
    ("HK$9,698 million", "HK$9,698 million"),
    ("1.5 trillion", "1.5万亿"),
])
def test_matches(answer, passage):
    (a,) = extract_quantities(answer)
    assert any(quantities_match(a, p) for p in extract_quantities(passage, liberal=True))


@pytest.mark.parametrize("answer, passage", [
    ("600亿美元", "三年逾530亿美元计划"),            # invented
    ("US$9,698 million", "HK$9,698 million"),   # wrong currency
    ("8%", "8 million users"),                  # a percentage is not an amount
    ("RMB990 billion", "RMB996,347 million"),   # 0.64% off: beyond the tolerance
    ("4万亿美元", "近四年来"),                      # a lone numeral word is not a table cell
    ("4 trillion", "4 billion"),
])
def test_mismatches(answer, passage):
    (a,) = extract_quantities(answer)
    assert not any(quantities_match(a, p) for p in extract_quantities(passage, liberal=True))


def test_citation_markers():
    assert [n for *_, n in parse_citations("a [1] b [2, 3] c [4][5] d 【6】 e [7-9]")] == \
        [[1], [2, 3], [4], [5], [6], [7, 8, 9]]


def test_sentences_keep_their_trailing_markers():
    text = "营收增长26%。[1]净利润增长77%[2]。Revenue was US$53 billion.[3] Margins rose [4].\n1. Cloud [1]"
    assert [text[a:b] for a, b in split_answer(text)] == [
        "营收增长26%。[1]", "净利润增长77%[2]。", "Revenue was US$53 billion.[3]", "Margins rose [4].", "1. Cloud [1]"]


PASSAGES = ["阿里巴巴的AI投入从年初宣布的三年逾530亿美元计划开始升级。",
            "未来五年全球AI相关投资有望达到4万亿美元规模。",
            "Revenue increased by 6% to RMB996,347 million (US$137,300 million) in fiscal year 2025."]


def test_check_answer_per_sentence():
    answer = ("阿里巴巴计划三年投入逾530亿美元[1]。全球AI投资有望达到4万亿美元[1]。"
              "营收为RMB996.3 billion，增长6%[3]。估值上升20%[2]。股价大涨。见[9]。\n要点：")
    r = check_answer(answer, PASSAGES)
    by_text = {s["text"]: s for s in r.sentences}
    assert by_text["阿里巴巴计划三年投入逾530亿美元[1]。"]["verified"]
    bad = by_text["全球AI投资有望达到4万亿美元[1]。"]               # right figure, wrong passage
    assert not bad["verified"] and "not found in the cited passage [1]" in bad["problems"][0]
    assert by_text["营收为RMB996.3 billion，增长6%[3]。"]["verified"]
    assert by_text["估值上升20%[2]。"]["problems"] == ["figure '20%' not found in the cited passage [2]"]
    assert by_text["股价大涨。"]["problems"] == ["no citation"]
    assert by_text["见[9]。"]["invalid_citations"] == [9]
    assert by_text["要点："]["claim"] is False and by_text["要点："]["verified"]
    assert r.cited == [1, 2, 3] and r.invalid == [9] and not r.verified
    marked = mark_unverified(answer, r.sentences, "(!)")
    assert marked.count("(!)") == 4 and "估值上升20%[2]。(!)" in marked


def test_check_answer_is_fast():
    import time

    answer = " ".join(f"Revenue increased by 6% to RMB996,347 million [3]. 全球AI投资有望达到4万亿美元[2]。"
                      for _ in range(5))
    t0 = time.perf_counter()
    for _ in range(20):
        check_answer(answer, PASSAGES * 2)
    per_answer = (time.perf_counter() - t0) / 20
    assert per_answer < 0.05, f"{per_answer * 1000:.1f} ms per 10-sentence answer"
