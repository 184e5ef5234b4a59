"""Search tokens for Chinese and English (rag/text.py)."""
from __future__ import annotations

from rag.text import language_of, tokens


def test_percentages_also_index_the_bare_number():
    toks = tokens("Cloud revenue grew 26% year over year")
    assert "26%" in toks and "26" in toks
    assert toks.index("26%") + 1 == toks.index("26")


def test_numbers_keep_decimals_and_drop_thousands_separators():
    toks = tokens("Revenue rose 4.5% to US$53.0 billion; 4,200 turbines")
    assert {"4.5%", "4.5", "53.0", "4200", "billion", "turbines"} <= set(toks)
    assert "4" not in toks and "5" not in toks  # "4.5" is not split at the point


def test_english_lowercased_without_stopwords():
    assert tokens("The Revenue of Alibaba") == ["revenue", "alibaba"]


def test_hyphenated_names_also_index_their_parts():
    toks = tokens("Qwen3-Omni model")
    assert toks[:3] == ["qwen3-omni", "qwen3", "omni"]


def test_chinese_cut_with_jieba_search_mode():
    toks = tokens("阿里巴巴在巴西开设数据中心")
    assert {"数据中心", "数据", "中心", "巴西", "阿里巴巴"} <= set(toks)
    assert "在" not in toks  # stopword


def test_chinese_percentages_and_fullwidth_digits():
    toks = tokens("云服务收入同比增长约２６％")
    assert "26%" in toks and "26" in toks and "增长" in toks


def test_language_of():
    assert language_of("阿里巴巴在哪些国家开设数据中心？") == "zh"
    assert language_of("Where is Alibaba opening data centers?") == "en"
    assert language_of("阿里巴巴 Qwen3-Omni 模型") == "zh"


def test_an_abbreviation_of_a_reporting_term_also_searches_the_words_it_stands_for():
    from rag.glossary import expand, written_out

    assert written_out("Did Globex grow its PPNE between FY20 and FY21?") == ["property plant and equipment"]
    assert written_out("What were SG&A and R&D in 2023?") == ["selling general and administrative",
                                                              "research and development"]
    # whole abbreviations only, and not when the words are there already
    assert written_out("a proper happening in the capexx line") == []
    assert written_out("PP&E (property plant and equipment)") == []
    # officers' titles: a release writes "Chief Financial Officer" where the question says CFO
    assert written_out("Who is the CFO of Acme?") == ["chief financial officer"]
    assert expand("capex of 2023").startswith("capex of 2023 ") and "capital expenditures" in expand("capex of 2023")


def test_dotted_initials_are_one_word_so_a_glossary_term_can_meet_them():
    # "U.S." read as the one letter "u" met nothing: neither "美国" (glossary: "u.s.") nor a question's "U.S"
    from rag.glossary import expand
    from rag.text import keyword_tokens

    assert tokens("U.S. 10.3 %") == ["u.s", "10.3"]
    assert keyword_tokens("U.S.-based sales") == ["u.s", "base", "sale"]
    assert "u.s" in keyword_tokens(expand("美国市场的销售额"))
    assert tokens("U.K. and e.g. rules") == ["u.k", "e.g", "rules"]
