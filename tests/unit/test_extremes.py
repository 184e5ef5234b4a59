"""Which of several peers is highest or lowest: the question read, the list of peers found, the extreme picked."""
from __future__ import annotations

import pytest

from rag.evidence import PageTexts, candidates
from rag.extremes import asks_extreme, peer_lists

from test_evidence import _answerer, _Catalog, _docs

SEGMENTS = (
    "SUPPLEMENTAL DATA – NET REVENUES\n(In thousands)\nThree months ended Twelve months ended\n"
    "December 31, 2022 December 31, 2021 December 31, 2022 December 31, 2021\n"
    "Harbour Resorts $ 2,297,282 $ 1,806,686 $ 8,398,372 $ 4,737,185\n"
    "Inland Operations 991,452 899,607 3,815,885 3,392,363\n"
    "Overseas 374,720 314,717 673,593 1,210,761\n"
    "$ 3,663,454 $ 3,021,010 $ 12,887,850 $ 9,340,309\n\n"
    "SUPPLEMENTAL DATA – ADJUSTED PROPERTY EBITDAR\n(In thousands)\nThree months ended Twelve months ended\n"
    "December 31, 2022 December 31, 2021 December 31, 2022 December 31, 2021\n"
    "Harbour Resorts $ 877,052 $ 698,739 $ 3,142,308 $ 1,738,211\n"
    "Inland Operations 319,517 309,250 1,294,630 1,217,814\n"
    "Overseas 54,979 5,015 (203,136) 25,367\n"
    "Corporate (113,058) (117,491) (431,238) (380,501)\n"
    "Total $ 1,138,490 $ 895,513 $ 3,802,564 $ 2,600,891")

UNITS = ("Business Unit Revenue and Trends Q1 2023 vs. Q1 2022\n"
         "Client Group $5.8 billion down 38%\nServer Group $3.7 billion down 39%\n"
         "Vision Unit $458 million up 16%\nFoundry Unit $118 million down 24%\nBusiness Highlights")


@pytest.mark.parametrize("question, which", [
    ("Which region had the highest EBITDAR in FY2022?", "max"),
    ("Which of the business units reported the lowest revenue in Q1 2023?", "min"),
    ("哪个分部的经调整EBITA最高？", "max"),
    ("2024年哪个地区的收入最低？", "min"),
    ("What was the most recent quarterly dividend?", ""),       # not a comparison of peers
    ("What was revenue in 2023?", ""),
    ("Which segment grew the most, and which the least?", ""),  # both: not one answer
])
def test_a_question_comparing_peers_is_recognised_in_both_languages(question, which):
    assert asks_extreme(question) == which


def test_the_companys_own_name_is_no_superlative():
    assert asks_extreme("What are major acquisitions that Best Buy has done?", ("best buy",)) == ""
    assert asks_extreme("What are major acquisitions that Best Buy has done?") == "max"


def test_the_peer_with_the_extreme_value_of_the_asked_measure_and_year_answers():
    """The table whose title names the measure (not the page's other table of revenues); the asked year's
    full-year column (not the quarter's); the total, the unlabelled sum and the corporate line are no peers;
    a figure in parentheses is negative."""
    a = _answerer({("r", 13): SEGMENTS})
    docs = _docs("r", 13, SEGMENTS)
    best = a.answer("Which region had the highest EBITDAR in FY2022?", docs)
    assert not best.abstained, best.notices
    assert best.citations[0].quote.startswith("Harbour Resorts $ 877,052"), best.text
    assert "Twelve months ended" in best.citations[1].quote
    worst = a.answer("Which region had the lowest EBITDAR in FY2022?", docs)
    assert worst.citations[0].quote.startswith("Overseas 54,979"), worst.text
    assert SEGMENTS[worst.citations[0].start:worst.citations[0].end] == worst.citations[0].quote


def test_amounts_in_billions_and_millions_compare_by_their_value():
    a = _answerer({("p", 2): UNITS})
    low = a.answer("Which business unit had the lowest revenue in Q1 2023?", _docs("p", 2, UNITS))
    assert low.citations[0].quote.startswith("Foundry Unit $118 million"), low.text
    high = a.answer("Which business unit had the highest revenue in Q1 2023?", _docs("p", 2, UNITS))
    assert high.citations[0].quote.startswith("Client Group $5.8 billion"), high.text


def test_a_table_of_line_items_is_not_a_list_of_peers():
    """A statement's rows ("Net revenue", "Operating income") are measures, not segments: the peers of such
    a table, if any, are its columns, which are not compared. The segment tables are lists of peers."""
    page = ("Segment results (in millions) Consumer Corporate Wealth\n"
            "Net revenue 12,345 9,876 4,321\nOperating income 4,000 3,000 1,000\nNet income 3,000 2,500 800")
    cat = _Catalog({("p", 5): page, ("r", 13): SEGMENTS})
    pages = PageTexts(cat)
    assert peer_lists(candidates(_docs("p", 5, page), cat, pages), pages) == []
    lists = peer_lists(candidates(_docs("r", 13, SEGMENTS), cat, pages), pages)
    assert [len(x.members) for x in lists] == [3, 3] and "EBITDAR" in lists[1].lead


def test_the_worst_performance_is_the_largest_fall_from_the_year_before_computed_from_the_amounts():
    """No rate is printed: each region's change is its asked year's full-year figure against the year
    before's; "topline" is revenue. The answer shows the arithmetic on the quoted row."""
    a = _answerer({("r", 13): SEGMENTS})
    ans = a.answer("Which region had the worst topline performance in FY2022?", _docs("r", 13, SEGMENTS))
    assert not ans.abstained, ans.notices
    assert ans.citations[0].quote.startswith("Overseas 374,720"), ans.text
    assert "673,593 / 1,210,761 - 1 = -44.4% (2022 vs 2021)" in ans.text, ans.text
    best = a.answer("Which region grew its net revenues the most in FY2022?", _docs("r", 13, SEGMENTS))
    assert best.citations[0].quote.startswith("Harbour Resorts $ 2,297,282"), best.text   # +77.3%
