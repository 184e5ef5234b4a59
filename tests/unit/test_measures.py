"""Measures computed from line items: the measure read from the question, its operands found among a
statement's rows, and the arithmetic shown with the quoted, cited rows."""
from __future__ import annotations

import pytest

from rag.evidence import Candidate
from rag.measures import _columns, compute, formula_asked

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


def test_a_growth_rate_is_the_asked_years_figure_against_the_year_before():
    a = _answerer({("a", 57): INCOME})
    ans = a.answer("What was the FY2021 - FY2022 total revenue growth rate? Round to one decimal place.",
                   _docs("a", 57, INCOME))
    assert "17,606 / 15,785 - 1 = 11.5% (2022 vs 2021)" in ans.text, ans.text
    f = formula_asked("2024年净利润增长率是多少？")
    assert f.growth and f.top[0].names[0] == "net income"


def test_which_peer_is_highest_is_answered_by_the_peer_not_by_arithmetic_on_its_row():
    page = ("SEGMENT RESULTS\n(In millions)\n2022 2021\nNorth 1,200 1,000\nSouth 900 950\nEast 700 600\n"
            "Total 2,800 2,550")
    a = _answerer({("s", 3): page})
    ans = a.answer("Which segment had the highest revenue growth in 2022?", _docs("s", 3, page))
    assert "computed" not in ans.text, ans.text


# -- what an analyst must never see: a wrong number computed from the wrong row or column -------------

from langchain_core.documents import Document  # noqa: E402

from rag.measures import compute  # noqa: E402


def _rows(header, *lines, where="CONSOLIDATED STATEMENTS"):
    doc = Document(page_content="", metadata={"doc_id": "x", "page": 1})
    return [Candidate(doc, 0, 0, len(t), t, is_row=True, header_text=header, where=where) for t in lines]


def _computed(question, rows, years=frozenset(), trend=False, doc_years=frozenset()):
    got = compute(formula_asked(question), question, set(years), trend, rows, doc_years=set(doc_years))
    return [(p, a, r) for p, a, r in got.lines] if got else None


def test_other_operating_income_is_not_operating_income():
    rows = _rows("2022 2021", "Revenue 10,000 9,000", "Other operating income 150 120", "Operating profit 1,500 1,200")
    assert _computed("What is the operating margin?", rows) == [("2022", "1,500 / 10,000", "15.0%")]


def test_a_total_is_the_whole_label_not_a_larger_or_smaller_total():
    rows = _rows("2022 2021", "Total current liabilities 3,000 2,800",
                 "Total liabilities and stockholders' equity 462,675 420,549", "Total assets 462,675 420,549")
    assert _computed("What is the ratio of total liabilities to total assets?", rows) is None
    zh = _rows("期末余额 期初余额", "流动资产合计 4,000.00 3,500.00", "资产总计 10,000.00 9,000.00",
               "流动负债合计 3,000.00 2,000.00", "负债合计 6,000.00 5,000.00")
    assert _computed("公司2024年末的资产负债率是多少？", zh, {"2024"}, doc_years={"2024"}) == [
        ("", "6,000.00 / 10,000.00", "60.0%")]


def test_an_expense_counts_by_its_magnitude_and_a_negative_base_gives_no_ratio():
    rows = _rows("2022 2021", "Profit before income tax 1,400 1,300", "Income tax expense (350) (300)")
    assert _computed("What was the effective tax rate in 2022?", rows, {"2022"}) == [("2022", "(350) / 1,400", "25.0%")]
    rows = _rows("2022 2021", "Net income 4,000 3,000", "Total stockholders' equity (8,000) (6,000)")
    assert _computed("What was the return on equity in 2022?", rows, {"2022"}) is None


def test_columns_oldest_first_are_read_by_their_years():
    rows = _rows("2022 2023", "Net sales 1,100 1,210", "Total assets 1,000 1,100")
    assert _computed("What was the FY2023 asset turnover?", rows, {"2023"}) == [("2023", "1,210 / avg(1,100, 1,000)", "1.15")]
    assert _computed("What was the asset turnover?", rows) == [("2023", "1,210 / avg(1,100, 1,000)", "1.15")]
    assert _computed("What was the FY2022 asset turnover?", rows, {"2022"}) is None   # no 2021 balance to average


def test_an_asked_year_no_column_holds_is_not_answered_from_another_year():
    rows = _rows("2022 2021", "Total current assets 5,121.3 4,186.5", "Total current liabilities 7,491.5 7,087.1")
    assert _computed("What is the FY2019 current ratio?", rows, {"2019"}) is None
    zh = _rows("期末余额 期初余额", "流动资产合计 6,000.00 4,000.00", "流动负债合计 3,000.00 3,000.00")
    assert _computed("2022年末公司的流动比率是多少？", zh, {"2022"}, doc_years={"2023"}) is None
    assert _computed("2023年末公司的流动比率是多少？", zh, {"2023"}, doc_years={"2023"}) == [("", "6,000.00 / 3,000.00", "2.00")]


def test_a_column_of_note_numbers_is_no_period():
    rows = _rows("Notes 2022 2021", "Cost of sales 7 (6,000) (5,500)", "Inventories 15 1,000 900")
    assert _computed("What was the 2022 inventory turnover?", rows, {"2022"}) == [
        ("2022", "(6,000) / avg(1,000, 900)", "6.32")]


def test_a_qualified_or_self_referring_measure_is_not_computed_as_the_plain_one():
    assert formula_asked("What was adjusted free cash flow in 2022?") is None
    assert formula_asked("What was the FCF margin in 2022?") is None
    assert formula_asked("What was free cash flow per share?") is None
    rows = _rows("2022 2021", "Revenue 17,606 15,785")
    assert _computed("Define revenue growth as (revenue 2022 - revenue 2021) / revenue 2021.", rows) is None


def test_a_definition_ends_at_its_clause_and_is_in_percent_only_when_it_says_so():
    f = formula_asked("What is the interest coverage? It is calculated as operating income / interest expense, "
                      "rounded to one decimal place.")
    assert f.over[0].names[0] == "interest expense" and not f.percent
    f = formula_asked("Define inventory turnover rate as cost of sales divided by inventories.")
    assert f is not None and not f.percent
    f = formula_asked("Where FCF is defined as cash from operations - capex, what was FCF in 2022?")
    assert f.name == "FCF"
    assert formula_asked("What was the company's ROE in 2022?").name == "ROE"


def test_the_usual_capital_expenditure_label_is_capital_expenditure():
    rows = _rows("2022 2021", "Net cash provided by operating activities 5,412 4,987",
                 "Purchases of property, plant and equipment (318) (295)")
    assert _computed("What was the 2022 free cash flow?", rows, {"2022"}) == [("2022", "5,412 - 318", "5,094")]


def test_a_long_trend_keeps_every_figure_it_uses_in_a_quote_within_the_answer_length():
    page = ("CONSOLIDATED STATEMENTS OF CASH FLOWS\n(In thousands)\n2022 2021 2020\n"
            "Net income attributable to Acme Holdings Industrial Corporation $ 3,210,456 $ 3,005,123 $ 2,801,777\n"
            "Net cash provided by operating activities 5,412,901 4,987,345 4,501,234\n"
            "Purchases of property, plant and equipment (318,456) (295,222) (270,111)")
    a = _answerer({("n", 9): page})
    ans = a.answer("Does the company have an improving free cash flow conversion?", _docs("n", 9, page))
    body = ans.text
    for n in range(1, 10):
        body = body.replace(f"[{n}]", "")
    assert len(body) <= 350 + 10, ans.text
    numbers = [x for x in ans.text.split(":", 1)[1].split("[")[0].replace("(", " ").replace(")", " ").split()
               if x[0].isdigit() and "%" not in x and x not in ("2022", "2021", "2020")]
    quoted = " ".join(c.quote for c in ans.citations)
    assert numbers and all(x in quoted for x in numbers), (numbers, ans.text)


def test_an_opening_balance_on_new_years_day_is_the_previous_year_end():
    cols = _columns(_row("流动资产合计 6,000.00 4,000.00", "项目2025年12月31日2025年1月1日"))
    assert [c.label for c in cols] == ["2025", "2024"]


def test_the_parent_companys_own_statement_is_no_operand_unless_asked():
    group = _rows("2025 2024", "负债合计 6,000.00 5,000.00", "资产总计 10,000.00 9,000.00", where="合并资产负债表")
    parent = _rows("2025 2024", "负债合计 1,000.00 900.00", where="母公司资产负债表")
    got = _computed("2025年末的资产负债率是多少？", parent + group, {"2025"})
    assert got == [("2025", "6,000.00 / 10,000.00", "60.0%")]


def test_operands_come_from_one_statement_page_where_they_can():
    doc = Document(page_content="", metadata={"doc_id": "x", "page": 3})
    far = [Candidate(doc, 0, 0, 30, "Total current liabilities 9,999 9,000", is_row=True, header_text="2022 2021",
                     where="CONSOLIDATED BALANCE SHEETS")]
    near = _rows("2022 2021", "Total current assets 5,000 4,000", "Total current liabilities 2,500 2,000",
                 where="CONSOLIDATED BALANCE SHEETS")
    assert _computed("What is the 2022 current ratio?", far + near, {"2022"})[0][2] == "2.00"


def test_a_question_asking_why_gets_no_arithmetic_and_a_row_let_in_for_it_alone_does_not_answer():
    a = _answerer({("a", 57): INCOME})
    ans = a.answer("What drove the gross margin change in FY2022?", _docs("a", 57, INCOME))
    assert "computed" not in ans.text
    trend = a.answer("How did the gross margin change from 2021 to 2022?", _docs("a", 57, INCOME))
    assert "15,441 / 17,606 = 87.7% (2022)" in trend.text and "88.2% (2021)" in trend.text, trend.text


def test_a_change_column_among_undated_ones_is_no_period():
    rows = _rows("项目 本报告期 本报告期比上年同期增减变动幅度(%) 年初至报告期末 年初至报告期末比上年同期增减变动幅度(%)",
                 "营业收入 1,000.00 10.50 3,000.00 12.30")
    assert _computed("营业收入增长率是多少？", rows) is None


def test_a_quarter_is_not_set_against_the_year_to_date():
    header = "Three Months Ended Nine Months Ended\nSeptember 30, September 30,\n2024 2023 2024 2023"
    rows = _rows(header, "Total revenue 1,000 900 2,700 2,500", "Operating income 150 120 400 350")
    assert _computed("How has total revenue growth changed?", rows) == [("2024 vs 2023", "1,000 / 900 - 1", "11.1%")]
    assert _computed("What was the operating margin in Q3 2024?", rows, {"2024"}) == [("2024", "150 / 1,000", "15.0%")]
    assert _computed("What was the operating margin for the nine months ended September 30, 2024?", rows, {"2024"}) is None


def test_growth_between_two_asked_years_and_returns_over_averages():
    rows = _rows("2024 2023 2022", "Total revenue 1,500 1,400 1,300", "Net income 150 140 130",
                 "Total stockholders' equity 1,000 900 800")
    assert _computed("What was revenue growth from 2022 to 2024?", rows, {"2022", "2024"}) == [
        ("2024 vs 2022", "1,500 / 1,300 - 1", "15.4%")]
    assert _computed("What was the return on average equity in 2024?", rows, {"2024"}) == [
        ("2024", "150 / avg(1,000, 900)", "15.8%")]
    for question in ("What was the compound annual growth rate of revenue from 2020 to 2024?",
                     "What was same-store sales growth?", "2024年加权平均净资产收益率是多少？",
                     "What was the gross margin of the Cloud segment?", "云业务分部的毛利率是多少？"):
        assert formula_asked(question) is None, question


@pytest.mark.parametrize("text", ["Our effective income tax rate was 21.0% in 2024.", "Return on average equity 12.5 %",
                                  "Gross profit as a percentage of net sales was 42.0% in 2024.",
                                  "报告期内毛利率为35.2%。", "加权平均净资产收益率 12.30%"])
def test_a_line_that_states_the_measure_under_another_wording_is_recognised(text):
    from rag.measures import states_measure
    question = {"Our": "What was the effective tax rate?", "Return": "What was the return on equity?",
                "Gross": "What was the gross margin?", "报告": "毛利率是多少？", "加权": "净资产收益率是多少？"}
    f = formula_asked(next(v for k, v in question.items() if text.startswith(k)))
    assert states_measure(f, text)


def test_a_growth_the_text_states_is_quoted():
    from rag.measures import states_measure
    f = formula_asked("What was the revenue growth rate in 2024?")
    assert states_measure(f, "Total revenue increased 12% to $10.0 billion in fiscal 2024.")
    assert states_measure(f, "报告期内，公司实现营业收入100.00亿元，同比增长12.00%。")
    assert not states_measure(f, "Total revenue 1,500 1,400")


def test_capital_intensity_is_shown_as_the_share_of_fixed_assets_in_total_assets():
    f = formula_asked("Is the company a capital-intensive business based on FY2022 data?")   # hyphenated: no crash
    assert f.name == "Fixed assets to total assets" and f.percent
    rows = _rows("2022 2021", "Property and equipment, net 12,873 12,896", "Total assets $ 228,275 $ 232,999")
    assert _computed("Is the company a capital-intensive business based on FY2022 data?", rows, {"2022"},
                     trend=True) == [("2022", "12,873 / 228,275", "5.6%"), ("2021", "12,896 / 232,999", "5.5%")]


def test_a_judgement_on_a_measure_is_computed_from_its_rows_when_no_sentence_answers_well_enough():
    """The abstention model finds no sentence good enough (threshold 0.99 here); the rows of the measure's
    items are evidence of another kind, as a statement's rows are for a judgement."""
    from rag.answer_model import AnswerModel
    from rag.answering import ExtractiveAnswerer
    from rag.evidence import FEATURES
    from test_evidence import _Catalog, _Embedder

    weights = {f: 0.0 for f in FEATURES} | {"lex": 6.0, "dense": 2.0, "kind_match": 1.0, "row_label": 2.0}
    strict = ExtractiveAnswerer(embedder=_Embedder(), catalog=_Catalog({("a", 57): INCOME}),
                                model=AnswerModel(weights, -4.0, 0.99))
    ans = strict.answer("Are the company's gross margins historically consistent?", _docs("a", 57, INCOME))
    assert not ans.abstained and "15,441 / 17,606 = 87.7% (2022)" in ans.text, (ans.text, ans.notices)
    assert strict.answer("Who is the company's chief executive officer?", _docs("a", 57, INCOME)).abstained


def test_a_ratio_spelled_out_in_the_question_is_computed():
    f = formula_asked("What was the interest coverage using FY2022 operating income as the numerator and annual "
                      "interest expense as the denominator?")
    assert [t.names[0] for t in f.top] == ["operating income"] and f.over[0].names[0] == "interest expense"
    f = formula_asked("What was R&D expense as a percentage of net sales in 2022?")
    assert f.percent and f.top[0].names[0] == "research and development" and f.name == "R&D expense as a % of net sales"
    rows = _rows("2022 2021", "Net sales 10,000 9,000", "Research and development 1,250 1,000")
    assert _computed("What was R&D expense as a percentage of net sales in 2022?", rows, {"2022"}) == [
        ("2022", "1,250 / 10,000", "12.5%")]
    assert formula_asked("What percentage of revenue came from China?") is None


def test_a_question_naming_the_statement_is_computed_from_its_rows_not_quoted_from_prose():
    mdna = "Total revenue increased 12% to $17.6 billion in fiscal 2022, driven by subscription growth."
    a = _answerer({("a", 30): mdna, ("a", 57): INCOME})
    docs = _docs("a", 30, mdna) + _docs("a", 57, INCOME)
    named = a.answer("What is the FY2021 - FY2022 total revenue growth rate? Answer as an analyst who only has "
                     "access to the statement of income.", docs)
    assert "17,606 / 15,785 - 1 = 11.5% (2022 vs 2021)" in named.text, named.text
    assert all(c.page == 57 for c in named.citations)
    plain = a.answer("What was the total revenue growth rate in fiscal 2022?", docs)
    assert "computed" not in plain.text and "12%" in plain.text, plain.text


@pytest.mark.parametrize("question, name, direction", [
    ("平安银行2024年末的资产总额与年初相比是增加还是减少？", "资产总额", ("增加", "减少")),
    ("与上年相比，合并利润表中的营业总收入是增长还是下降？", "营业总收入", ("增长", "下降")),
    ("Did Costco's net sales increase or decrease in the third quarter compared with last year?", "net sales",
     ("increased", "decreased")),
    ("Did the company grow its PPNE between FY20 and FY21?", "PPNE", ("increased", "decreased")),
])
def test_whether_an_item_went_up_or_down_is_its_change_from_the_prior_period(question, name, direction):
    f = formula_asked(question)
    assert f is not None and f.growth and f.name == name and f.direction == direction
    assert f.top[0].names[0] == name.lower()   # the row the question names is looked for first


@pytest.mark.parametrize("question", ["Did the company raise its full-year guidance?",
                                      "Did the number of stores increase or decrease?",
                                      "Were there any events that substantially increased net income in 2019?",
                                      "What was net income in 2023?"])
def test_no_direction_is_computed_without_a_line_item_or_a_change_asked(question):
    assert formula_asked(question) is None


def test_the_verdict_leads_the_computed_change_and_a_loss_is_compared_by_difference():
    rows = _rows("2025年12月31日 2025年1月1日", "资产总计 29,451,008,031.13 25,451,475,840.16")
    f = formula_asked("资产总计期末余额与年初余额相比是增加还是减少？")
    got = compute(f, "资产总计期末余额与年初余额相比是增加还是减少？", {"2025"}, False, rows, doc_years={"2025"})
    assert got.text({id(rows[0]): 1}, "zh") == ("资产总计增加（计算）：29,451,008,031.13 / 25,451,475,840.16 - 1 = 15.7% "
                                                "(2025 vs 2024) [1]")
    rows = _rows("Three Months Ended Apr 1, 2023 Apr 2, 2022", "Net income (loss) (2,768) 8,113")
    q = "Did net income rise or fall in Q1 2023 compared with Q1 2022?"
    got = compute(formula_asked(q), q, {"2023", "2022"}, False, rows)
    assert got.text({id(rows[0]): 1}, "en") == "Net income decreased, computed: (2,768) - 8,113 = -10,881 (2023 vs 2022) [1]"


def test_one_segments_change_does_not_state_the_companys():
    from rag.measures import states_measure
    f = formula_asked("Did total revenue increase or decrease in fiscal 2025?")
    assert states_measure(f, "Total revenue increased by 6% from RMB941,168 million to RMB996,347 million.")
    assert not states_measure(f, "Revenue from All others segment was RMB206,269 million, increased by 7%.")
    assert not states_measure(f, "Total revenue 996,347 941,168")


def test_which_way_an_item_went_is_read_off_its_rows_own_change_column_for_the_asked_span():
    header = "项目 | 本报告期 | 本报告期比上年同期增减变动幅度(%) | 年初至报告期末 | 年初至报告期末比上年同期增减变动幅度(%)"
    rows = _rows(header, "营业收入 | 15,609,410 | 32.5 | 41,878,720 | 26.5",
                 "归属于上市公司股东的净利润 | 1,059,907 | 56.4 | 2,706,192 | -26.4")
    q = "2024年第三季度的营业收入与上年同期相比是增加还是减少？"
    got = compute(formula_asked(q), q, {"2024"}, False, rows)
    assert got.rows == [rows[0]] and got.text({id(rows[0]): 1}, "zh") == \
        "营业收入增加（本报告期比上年同期增减变动幅度(%)：32.5） [1]"
    q = "2024年前三季度归属于上市公司股东的净利润与上年同期相比是增加还是减少？"
    got = compute(formula_asked(q), q, {"2024"}, False, rows)
    assert got.text({id(rows[1]): 1}, "zh") == "归属于上市公司股东的净利润减少（年初至报告期末比上年同期增减变动幅度(%)：-26.4） [1]"


def test_a_figure_for_a_measure_no_line_states_is_computed_though_the_best_passage_is_prose():
    """"What is its FY2020 quick ratio?": the passages' best sentence speaks of another ratio; the answer is
    the acid test computed from the balance sheet's rows, each cited."""
    prose = "The required leverage ratio is a maximum of 60%."
    a = _answerer({("r", 36): prose, ("r", 60): BALANCE})
    ans = a.answer("What is the company's FY2020 quick ratio?", _docs("r", 36, prose) + _docs("r", 60, BALANCE))
    assert not ans.abstained and "(5,121.3 - 1,426.3) / 7,491.5 = 0.49" in ans.text, ans.text
    assert {c.page for c in ans.citations} == {60}


@pytest.mark.parametrize("question, name, top, over", [
    ("What is the FY2022 quick ratio?", "quick ratio", ["total current assets", "inventories"], ["total current liabilities"]),
    ("What is the FY2022 unadjusted EBITDA margin?", "unadjusted ebitda margin",
     ["operating income", "depreciation and amortization"], ["total revenue"]),
    ("What was the dividend payout ratio in FY2020?", "dividend payout ratio", ["dividends paid"], ["net income"]),
])
def test_more_measures_read_off_the_statements(question, name, top, over):
    f = formula_asked(question)
    assert f is not None and f.name == name
    assert [t.names[0] for t in f.top] == top and [t.names[0] for t in f.over] == over


def test_the_line_items_a_question_names_are_found_by_any_of_their_names():
    from rag.measures import items_in

    assert [n[0] for n in items_in("What quarterly cash dividend per share did it declare?")] == ["dividends paid"]
    assert [n[0] for n in items_in("平安银行2024年的研发投入是多少？")] == ["research and development"]
    assert items_in("Who is the chief executive?") == []
