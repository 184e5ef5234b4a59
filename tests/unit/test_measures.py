"""Measures computed from line items: the measure read from the question, its operands found among a
statement's rows, and the arithmetic shown with the quoted, cited rows."""
from __future__ import annotations

import pytest

from rag.evidence import Candidate
from rag.measures import _columns, formula_asked

from test_evidence import _answerer, _docs

BALANCE = (
    "CONSOLIDATED BALANCE SHEETS\n(In millions)\nMay 31, 2020 May 26, 2019\n"
    "Cash and cash equivalents $ 1,677.8 $ 450.0\n"
    "Inventories (Note 4) 1,426.3 1,559.3\n"
    "Total current assets 5,121.3 4,186.5\n"
    "Deferred revenues 310.0 290.0\n"
    "Total current liabilities 7,491.5 7,087.1\n"
    "Total assets $ 30,806.7 $ 30,111.2")

INCOME = (
    "CONSOLIDATED STATEMENTS OF INCOME\n(In millions)\nYears Ended 2022 2021 2020\n"
    "Total revenue 17,606 15,785 12,868\n"
    "Cost of revenue 2,165 1,865 1,722\n"
    "Gross profit 15,441 13,920 11,146\n"
    "Operating income 6,098 5,802 4,237\n"
    "Net income $ 4,756 $ 4,822 $ 5,260")


@pytest.mark.parametrize("question, name, top, over, percent", [
    ("What is the FY2020 working capital ratio? Define working capital ratio as total current assets divided by "
     "total current liabilities. Round your answer to two decimal places.",
     "working capital ratio", ["total current assets"], ["total current liabilities"], False),
    ("What is the FY2020 free cash flow? FCF here is defined as: (cash from operations - capex).",
     "FCF", ["net cash provided by operating activities", "capital expenditures"], [], False),
    ("Does the company have an improving free cash flow conversion as of FY2022?",
     "free cash flow conversion", ["net cash provided by operating activities", "capital expenditures"],
     ["net income"], True),
    ("Is its operating margin improving?", "operating margin", ["operating income"], ["total revenue"], True),
    ("2024年末公司的流动比率是多少？", "流动比率", ["total current assets"], ["total current liabilities"], False),
])
def test_the_measure_asked_is_read_from_a_definition_or_its_name(question, name, top, over, percent):
    f = formula_asked(question)
    assert f is not None and f.name == name
    assert [t.names[0] for t in f.top] == top and [t.names[0] for t in f.over] == over
    assert f.percent == percent
    assert [t.sign for t in f.top][1:] == [-1] * (len(top) - 1)   # capex is subtracted


def test_a_definition_with_an_average_reads_the_period_out_of_its_operands():
    f = formula_asked("What is the FY2019 fixed asset turnover ratio? Fixed asset turnover ratio is defined as: "
                      "FY2019 revenue / (average PP&E between FY2018 and FY2019).")
    assert f.average_over and f.top[0].names[0] == "total revenue" and "pp&e" in f.over[0].names


@pytest.mark.parametrize("question", ["What was revenue in 2023?", "Define the scope of the audit.",
                                      "Net income is defined as income after taxes."])
def test_no_measure_is_computed_for_a_question_that_asks_for_none(question):
    assert formula_asked(question) is None


def _row(text, header):
    return Candidate(None, 0, 0, len(text), text, is_row=True, header_text=header)


def test_columns_skip_note_references_and_date_a_year_ending_in_early_january_to_the_year_before():
    cols = _columns(_row("Inventories (Notes 1 and 3) 12,483 10,387", "January 1, 2023 January 2, 2022"))
    assert [(c.label, c.value) for c in cols] == [("2022", 12483.0), ("2021", 10387.0)]
    cols = _columns(_row("Purchases of property and equipment (442) (348)", "2022 2021"))
    assert [(c.value, c.text) for c in cols] == [(-442.0, "(442)"), (-348.0, "(348)")]
    assert _columns(_row("Gross margin percentage 34.2 % 50.4 %", "2023 2022")) == []   # itself the measure


def test_a_ratio_is_computed_from_the_quoted_rows_in_the_asked_year_and_each_operand_is_cited():
    a = _answerer({("g", 40): BALANCE})
    ans = a.answer("What is the FY2020 current ratio?", _docs("g", 40, BALANCE))
    assert not ans.abstained, ans.notices
    assert "5,121.3 / 7,491.5 = 0.68 (2020)" in ans.text, ans.text
    quotes = [c.quote for c in ans.citations]
    assert any(q.startswith("Total current assets") for q in quotes)
    assert any(q.startswith("Total current liabilities") for q in quotes)
    for c in ans.citations:
        assert BALANCE[c.start:c.end] == c.quote and f"[{c.n}]" in ans.text
    assert len(ans.text) <= 350 + 12


def test_a_judgement_on_a_trend_shows_the_measure_for_every_period_the_rows_share():
    a = _answerer({("a", 57): INCOME})
    ans = a.answer("Does the company have an improving operating margin profile as of FY2022?",
                   _docs("a", 57, INCOME))
    assert not ans.abstained, ans.notices
    assert "6,098 / 17,606 = 34.6% (2022)" in ans.text and "36.8% (2021)" in ans.text, ans.text


def test_an_operand_is_never_a_line_of_another_statement():
    """"Deferred revenues" on a balance sheet is a liability, not the revenue a turnover divides."""
    a = _answerer({("g", 40): BALANCE})
    ans = a.answer("What is the FY2020 asset turnover? Asset turnover is defined as revenue divided by total assets.",
                   _docs("g", 40, BALANCE))
    assert "310.0 /" not in ans.text and "computed" not in ans.text, ans.text


def test_a_row_that_states_the_measure_is_quoted_not_recomputed():
    page = ("CONSOLIDATED STATEMENTS OF INCOME\n(In millions)\nThree Months Ended Apr 1, 2023 Apr 2, 2022\n"
            "Net revenue $ 11,715 $ 18,353\nGross margin 4,008 9,244\nGross margin percentage 34.2 % 50.4 %")
    a = _answerer({("i", 5): page})
    ans = a.answer("What was the gross margin percentage in Q1 2023?", _docs("i", 5, page))
    assert "computed" not in ans.text and "34.2 %" in ans.text, ans.text


def test_the_minority_holders_share_is_not_the_companys_net_income():
    page = ("CONSOLIDATED STATEMENTS OF CASH FLOWS\n(In millions)\n2022 2021\n"
            "Net income attributable to noncontrolling interests 45 40\n"
            "Net income attributable to Acme Holdings Industrial Corporation 3,210 3,005\n"
            "Net cash provided by operating activities 5,412 4,987\n"
            "Purchases of property and equipment (318) (295)")
    a = _answerer({("n", 9): page})
    ans = a.answer("What was the FY2022 free cash flow conversion?", _docs("n", 9, page))
    assert "(5,412 - 318) / 3,210 = 158.7% (2022)" in ans.text, ans.text
