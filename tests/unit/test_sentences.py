"""Sentence boundaries for Chinese/English disclosure text (ingest/sentences.py)."""
from __future__ import annotations

import pytest

from ingest.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize("text, expected", [
    ("阿里巴巴股价上涨。云收入增长26%！这是真的吗？首先是监管风险；其次是竞争风险。",
     ["阿里巴巴股价上涨。", "云收入增长26%！", "这是真的吗？", "首先是监管风险；", "其次是竞争风险。"]),
    ("真的吗？！是的……后来呢", ["真的吗？！", "是的……", "后来呢"]),
])
def test_chinese_sentence_ends(text, expected):
    assert sentences(text) == expected


def test_english_sentence_ends():
    text = "Revenue grew in the quarter. Did margins improve? They did! Costs fell."
    assert sentences(text) == ["Revenue grew in the quarter.", "Did margins improve?", "They did!", "Costs fell."]


@pytest.mark.parametrize("text, expected", [
    ("Revenue grew 4.5% in the quarter. Margins improved.",
     ["Revenue grew 4.5% in the quarter.", "Margins improved."]),
    ("The U.S. economy slowed. Exports fell.", ["The U.S. economy slowed.", "Exports fell."]),
    ("It ranked No. 3 in China. It ranked No. 1 abroad.",
     ["It ranked No. 3 in China.", "It ranked No. 1 abroad."]),
    ("Revenue was US$53.0 billion, up 4.5% year over year. Net income fell.",
     ["Revenue was US$53.0 billion, up 4.5% year over year.", "Net income fell."]),
    ("Mr. Smith joined Alibaba Group Holding Ltd. in 2020. He is based in Hangzhou.",
     ["Mr. Smith joined Alibaba Group Holding Ltd. in 2020.", "He is based in Hangzhou."]),
    ("Yahoo!Japan grew. Next one.", ["Yahoo!Japan grew.", "Next one."]),
])
def test_no_split_inside_numbers_and_abbreviations(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("他说：“我们会继续投入。”随后股价上涨。", ["他说：“我们会继续投入。”", "随后股价上涨。"]),
    ("公司表示「将加大投入。」市场反应积极。", ["公司表示「将加大投入。」", "市场反应积极。"]),
    ('He said "Sales rose." Then profits fell.', ['He said "Sales rose."', "Then profits fell."]),
])
def test_closing_quotes_stay_with_their_sentence(text, expected):
    assert sentences(text) == expected


def test_mixed_chinese_and_english():
    text = "收入增长26%。Revenue rose 4.5% to US$53.0 billion. 利润下降。"
    assert sentences(text) == ["收入增长26%。", "Revenue rose 4.5% to US$53.0 billion.", "利润下降。"]


def test_line_break_is_a_hard_boundary_and_unterminated_tail_kept():
    assert sentences("First line without end\nSecond line.\n最后一句没有句号") == [
        "First line without end", "Second line.", "最后一句没有句号"]


def test_spans_are_trimmed_ordered_offsets_into_the_text():
    text = "  第一句。  Second one.\n\n  第三句！  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["第一句。", "Second one.", "第三句！"]
    assert all(a < b for a, b in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    for a, b in spans:
        assert not text[a].isspace() and not text[b - 1].isspace()


def test_empty_and_whitespace_only_text():
    assert split_sentences("") == []
    assert split_sentences("  \n\t ") == []
