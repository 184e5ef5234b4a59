"""Mapping a span of the cleaned page text onto another extraction of the same page."""
from __future__ import annotations

from rag.text_alignment import align, key_of


def marked(target: str, source: str, start: int, end: int) -> tuple[str, float]:
    a = align(source, start, end, target)
    return "".join(target[i] for i in a.target), a.coverage


def span(text: str, quote: str) -> tuple[int, int]:
    i = text.index(quote)
    return i, i + len(quote)


def test_key_drops_what_cleaning_changes():
    assert key_of("Gross  margin\r\n34.2 %").chars == "grossmargin34.2%"
    assert key_of("２０２４ 年 １２ 月").chars == key_of("2024年12月").chars == "2024年12月"
    assert key_of("ﬁnancial manufac-\nturing").chars == "financialmanufacturing"
    assert key_of("“It’s”").chars == "\"it's\""
    k = key_of("a b", 0)
    assert k.index == [0, 2]


def test_cjk_spacing_and_line_breaks_removed_by_cleaning():
    cleaned = "本行位列名单内第一组，执行附加资本0.25%等要求。"
    pdfium = "本 行 位 列 名 单 内 第\r\n一 组 ， 执 行 附 加 资 本 0.25% 等 要 求 。"
    got, cov = marked(pdfium, cleaned, 0, len(cleaned))
    assert cov == 1.0 and got.replace(" ", "").replace("\r\n", "") == cleaned


def test_hyphenated_word_and_wrapped_lines():
    cleaned = "Demand for manufacturing equipment rose. Next sentence."
    pdfium = "Demand for manufac-\r\nturing equipment\r\nrose. Next sentence."
    s, e = span(cleaned, "Demand for manufacturing equipment rose.")
    got, cov = marked(pdfium, cleaned, s, e)
    assert cov == 1.0 and got == "Demand for manufac-\r\nturing equipment\r\nrose."


def test_table_row_read_in_another_order_is_still_found():
    # pypdf read the row across; PDFium reads the label, then the cells, around a header
    cleaned = "Revenue ($B) $11.7 $18.4 down 36%\nGross Margin 34.2% 50.4% down 16.2 ppts\nTax Rate 13.0%"
    pdfium = "Gross Margin\r\nRevenue ($B)\r\n$11.7 $18.4 down 36%\r\nTax Rate 13.0%\r\n34.2% 50.4% down 16.2 ppts"
    s, e = span(cleaned, "Gross Margin 34.2% 50.4% down 16.2 ppts")
    got, cov = marked(pdfium, cleaned, s, e)
    assert cov == 1.0
    assert sorted(key_of(got).chars) == sorted(key_of("Gross Margin 34.2% 50.4% down 16.2 ppts").chars)
    assert "Revenue" not in got and "Tax" not in got


def test_repeated_text_is_taken_where_the_quote_is():
    row = "Results may vary."
    cleaned = f"First part. {row} Middle part with more words. {row} Last part."
    pdfium = cleaned.replace(" ", "\r\n")
    second = cleaned.rindex(row)
    a = align(cleaned, second, second + len(row), pdfium)
    assert a.coverage == 1.0
    assert min(a.target) > pdfium.index("Middle"), "the second occurrence, not the first"


def test_a_character_one_extractor_dropped_or_added():
    cleaned = "Operating income grew 12% to $4.1 billion in the quarter."
    pdfium = "Operating income¹ grew 12% to $4.1 bilion in the quarter."   # footnote mark; a lost 'l'
    got, cov = marked(pdfium, cleaned, 0, len(cleaned))
    assert cov > 0.95 and got.startswith("Operating income") and got.endswith("quarter.")


def test_text_that_is_not_on_the_page_is_not_marked():
    cleaned = "The board approved a dividend of 1.20 euros per share."
    pdfium = "Completely different words about turbines in Lyon and their output."
    a = align(cleaned, 0, len(cleaned), pdfium)
    assert a.coverage < 0.3
    assert align(cleaned, 0, 0, pdfium).target == []
    assert align(cleaned, 0, len(cleaned), "").coverage == 0.0
