"""Kinds of question, statements a question needs, page titles and sections of filings."""
from __future__ import annotations

import pytest

from ingest.chunking import chunk_pages
from ingest.headings import page_contexts, page_title
from ingest.loaders import Page
from rag.questions import kind_of, read
from rag.ranking import PageCandidate, pages_named, pick_passages
from rag.statements import statements_asked, statements_named


@pytest.mark.parametrize("question, kind", [
    ("What was the company's revenue in the first quarter of 2023?", "figure"),
    ("What was Acme's GMV in Q2 2023?", "figure"),   # a measure's abbreviation after the possessive
    ("What is Acme's ESG strategy?", "describe"),     # (an abbreviation with more after it names no measure)
    ("How much cash did the company use to repurchase shares?", "figure"),
    ("公司2025年研发投入占营业收入比例是多少？", "figure"),
    ("我想知道第169页那三栏金额各是多少，能帮我查一下吗？", "figure"),      # a polite 吗 after a figure question
    ("What is the FY2019 revenue growth rate? Answer as an analyst who has the income statement.", "figure"),
    ("Acme revenue How did it change year over year?", "figure"),   # the change of a figure
    ("How has revenue grown since 2020?", "figure"),
    ("How did the company's strategy change?", "describe"),
    ("Did the company raise its full-year guidance?", "yesno"),
    ("Is the company a capital-intensive business based on FY2022 data?", "yesno"),
    ("公司是否披露了员工总数？", "yesno"),
    ("Was growth organic or from acquisitions?", "choice"),
    ("与上年相比，营业总收入是增长还是下降？", "choice"),
    ("Which regions does the report name as growth markets?", "list"),
    ("投资者应关注哪些关键业绩与里程碑事件？", "list"),
    ("Who is the chair of the audit committee?", "who"),
    ("What is the name of the company's chief executive officer?", "who"),
    ("审计委员会主席是谁？", "who"),
    ("Which accounting firm audited the company's 2024 financial statements?", "who"),
    ("中期报告中，哪家会计师事务所审阅了中期财务报表？", "who"),
    ("When did the company complete the acquisition?", "when"),
    # a measure after the company's name and its qualifiers is a figure, not a list of things
    ("What were Acme's total net revenues in 2020?", "figure"),
    # the head of a statement line asked of a year is a figure; the same head asked of something else is not
    ("What was Acme's pension benefit obligations in fiscal 2021?", "figure"),
    ("What was Acme's share-based compensation expense in 2021?", "figure"),
    ("What was Acme's other taxes payable in FY2021?", "figure"),
    ("What are the company's obligations under the credit agreement?", "list"),
    # so is a statement's line item of cash or earnings ("net cash used in financing activities")
    ("What was Acme's net cash used in financing activities in fiscal 2022?", "figure"),
    ("What were Acme's basic earnings per share in 2021?", "figure"),
    ("What was the main driver of cash usage?", "describe"),
    ("What were General Mills' total net sales in fiscal 2020?", "figure"),
    ("And when did it close the deal?", "when"),
    # "when" as a conjunction asks no date
    ("What should analysts focus on when valuing the company?", "describe"),
    ("Why did the company raise its guidance?", "describe"),
    ("What drove the change in operating margin?", "describe"),
    # a follow-up rewritten with the earlier question's names and period in front keeps its kind
    ("Acme Q3 2024 Who is its chief financial officer?", "who"),
    ("Acme third quarter fiscal 2023 What was its membership renewal rate?", "figure"),
    ("Acme Q1 2023 Did it raise its guidance?", "yesno"),
    ("In 2023, who audited the company?", "who"),
    # "what were …" asks for the figure of a line item it names, and for a list of anything else
    ("What were Acme's total current assets at the end of fiscal 2020?", "figure"),
    ("What were its total liabilities?", "figure"),
    ("What were the factors affecting revenue?", "list"),
    ("What were the main risks?", "list"),
    ("What was Acme's capacity utilization in the second quarter of 2024?", "figure"),   # a rate
])
def test_the_kind_of_a_question_in_either_language(question, kind):
    assert read(question).kind == kind


def test_a_question_knows_its_years_quarters_and_the_period_side_it_asks_for():
    q = read("What was net income in Q2 FY23 compared with the prior year?")
    assert q.years == {"2023"} and q.quarters == {2} and q.asks_prior
    z = read("2024年第三季度末的员工总数是多少？")
    assert z.years == {"2024"} and z.quarters == {3} and z.asks_end and z.language == "zh"


@pytest.mark.parametrize("question, years", [
    ("What was revenue for the six months ended September 30, 2021, per its fiscal 2022 interim report?", {"2021"}),
    ("How much cash went to share repurchases in the six months ended September 30, 2024 (FY2025 interim report)?",
     {"2024"}),
    ("示例集团2026财年中期报告（截至2025年9月30日止六个月）的收入是多少？", {"2025"}),
    ("示例银行2024年年报中2023年的净利润是多少？", {"2023"}),
    # the report's year is the only period named: it is the one asked about
    ("What was the bank's non-performing loan ratio, per its 2024 annual report?", {"2024"}),
    ("我想知道示例公司2025年年度报告第169页的资产合计是多少", {"2025"}),
])
def test_the_year_of_the_report_a_question_names_is_not_its_period_when_it_names_one(question, years):
    assert read(question).years == years


def test_statements_named_and_implied_by_line_items_in_both_languages():
    assert statements_asked("Using the cash flow statement, what was operating cash flow?") == {"cash_flow": 1.0}
    assert statements_asked("What is the working capital ratio?") == {"balance": 0.5}
    assert statements_asked("合并利润表中的营业总收入是多少？") == {"income": 1.0}
    # capital intensity is read off capex (cash flow), PP&E and assets (balance sheet) against revenue
    assert set(statements_asked("Is the company capital intensive?")) == {"balance", "cash_flow", "income"}
    assert statements_named("Item 8 · Consolidated Statements of Cash Flows (In millions)") == {"cash_flow"}
    assert statements_named("CONSOLIDATED BALANCE SHEETS") == {"balance"}
    assert statements_named("Risk Factors") == set()
    # the MD&A's "Results of Operations" discusses the income statement; it is not the statement a question
    # names when it asks to read "only the statement of income"
    assert statements_named("Item 7. Management's Discussion and Analysis · Results of Operations") == set()
    # the parts of a filing where a topic is reported are found the same way: legal matters, acquisitions
    assert statements_asked("Has the company reported any ongoing legal battles?") == {"legal": 0.5}
    assert statements_asked("Which companies did it acquire in 2021?") == {"acquisitions": 0.5}
    assert statements_named("Notes · Note 2. Acquisitions, Divestitures") == {"acquisitions"}
    assert statements_named("Item 3. Legal Proceedings") == {"legal"}


def test_page_titles_and_sections_of_a_filing_become_chunk_context():
    pages = [
        "Item 7.\nManagement's Discussion and Analysis\nRevenue grew because of volume.",
        "RESULTS OF OPERATIONS\nNet sales increased 4% in the year.",
        "Item 8. Financial Statements\nConsolidated Balance Sheets\n(In millions)\n2022 2021\n"
        "Inventories 1,426.3 1,559.3\nTotal current assets 5,121.3 4,186.5",
        "第三节 管理层讨论与分析\n公司研发人员情况\n研发人员数量（人） 376 313 20.13%",
    ]
    ctx = page_contexts(pages)
    assert ctx[0].section.startswith("Item 7. Management's Discussion")
    assert ctx[1].section == ctx[0].section and ctx[1].title.startswith("RESULTS OF OPERATIONS")
    assert ctx[2].section.startswith("Item 8.")
    assert ctx[3].section == "第三节 管理层讨论与分析"
    assert page_title("The company grew revenue by 4% in the year, driven by volume.") == ""
    chunks = chunk_pages([Page(i + 1, t) for i, t in enumerate(pages)], max_size=12)
    row = next(c for c in chunks if "Total current assets" in c.text)
    assert "Balance Sheets" in row.context or "Item 8" in row.context
    assert all(c.text == pages[c.page - 1][c.start:c.end] for c in chunks)   # texts stay verbatim spans


def test_a_note_heading_run_into_the_previous_notes_last_sentence_opens_the_note():
    from ingest.headings import mid_line_notes

    line = ("Costs are recorded in Cost of sales or Research and development expenses, as appropriate. Note 2. "
            "Acquisitions, Divestitures, Equi ty-Method Investments A. Acquisitions We acquired a company.")
    assert mid_line_notes(line) == ["Note 2. Acquisitions, Divestitures"]
    assert mid_line_notes("Converted in May 2020. See Note 12 . Note 15. Leases We lease real estate.") == ["Note 15. Leases"]
    assert mid_line_notes("The fair value is described in Note 4. Fair Value Measurements follow.") == []
    pages = ["Note 1. Basis of Presentation\n" + line, "The purchase price was allocated as follows."]
    assert page_contexts(pages)[1].note == "Note 2. Acquisitions, Divestitures"


def test_a_table_of_contents_does_not_set_the_section():
    toc = "\n".join(f"Item {i}. Part {i} title {i + 3}" for i in range(1, 9))
    ctx = page_contexts([toc, "Item 1A.\nRisk Factors\nWe face competition."])
    assert ctx[0].section == "" and ctx[1].section.startswith("Item 1A.")


def test_pages_a_question_names():
    assert pages_named("在年报第169页提到的金额") == {169} and pages_named("see page 42") == {42}
    assert pages_named("the paged memory") == set()


def test_passages_take_each_top_page_first_then_second_chunks():
    pages = [PageCandidate("d", 1, ["a1", "a2"]), PageCandidate("d", 2, ["b1"]), PageCandidate("d", 3, ["c1", "c2"])]
    assert pick_passages(pages, 4) == ["a1", "b1", "c1", "a2"]
    assert pick_passages(pages, 2) == ["a1", "b1"]


def test_a_phrase_of_the_vocabulary_matches_with_its_words_run_together():
    assert statements_asked("Has free cashflow conversion improved?") == statements_asked(
        "Has free cash flow conversion improved?") != {}


def test_a_page_holding_the_items_a_named_measure_is_computed_from():
    from rag.ranking import page_candidates

    rows = {"a": {"doc_id": "d", "page": 3, "text": "Total current assets 10 Total current liabilities 4"},
            "b": {"doc_id": "d", "page": 7, "text": "Working capital is managed with care."}}
    pages_text = {("d", 3): [("a", None, ["total", "current", "asset", "liabil"])],
                  ("d", 7): [("b", None, ["work", "capit", "manag", "care"])]}
    got = {p.page: p.features["items"] for p in page_candidates(
        "What was the working capital ratio?", rows, {"a": 0.5, "b": 0.5}, {}, {}, 60, pages_text)}
    assert got[3] > got[7] == 0.0
    # both items on an English page: all of what that page could hold (the Chinese items are not counted)
    assert got[3] == 1.0
    # a measure that is one line item under other names (dividends) is not a share of items
    got = {p.page: p.features["items"] for p in page_candidates(
        "Did the company pay dividends in 2022?", rows, {"a": 0.5, "b": 0.5}, {}, {}, 60, pages_text)}
    assert got == {3: 0.0, 7: 0.0}


def test_a_page_found_by_the_search_for_a_measures_items_carries_that_score():
    """A balance sheet that joined the candidates through the search for working capital's items has no
    score in the question's own keyword search; its score in the items search is a feature of its own."""
    from rag.ranking import page_candidates

    rows = {"a": {"doc_id": "d", "page": 3, "text": "Total current assets 10 Total current liabilities 4"},
            "b": {"doc_id": "d", "page": 7, "text": "Working capital is managed with care."}}
    pages = {p.page: p.features for p in page_candidates(
        "Does the company have positive working capital?", rows, {"b": 0.5}, {}, {"b": 3.0}, 60, items={"a": 8.0})}
    assert pages[3]["item_search"] == 1.0 and pages[3]["keyword"] == 0.0
    assert pages[7]["item_search"] == 0.0 and pages[7]["keyword"] == 1.0
    # a figure question for the measure is read where the measure itself is stated
    pages = {p.page: p.features for p in page_candidates(
        "What was the working capital ratio?", rows, {"b": 0.5}, {}, {"b": 3.0}, 60, items={"a": 8.0})}
    assert pages[3]["item_search"] == 0.0


def test_a_statement_title_is_read_through_text_layer_artifacts():
    # a company line ending in "INC." is not a sentence, so the title under it is still read
    assert "STATEMENTS OF CASH FLOWS" in page_title(
        "SQUARE, INC.\nCONSOLIDATED STATEMENTS OF\nCASH FLOWS(In thousands)\nYear Ended December 31,\n2020")
    # a title the text layer ran into the column header on one long line: its opening words
    long_line = ("Index to Consolidated Financial Statements Consolidated Statements of Operations For the Years "
                 "Ended December 31,\nIn millions 2022 2021 2020\nRevenues: 226,616 203,738")
    assert statements_named(page_title(long_line)) == {"income"}
    # a section heading whose first word was broken across lines ("Item 8. F" / "INANCIAL …")
    ctx = page_contexts(["Item 8. F\nINANCIAL STATEMENTS AND SUPPLEMENTARY DATA\nIndex", "Net income 1,234"])
    assert ctx[1].section.startswith("Item 8. FINANCIAL STATEMENTS")


def test_a_long_section_heading_does_not_push_the_page_title_out_of_the_context():
    from ingest.headings import MAX_CONTEXT_CHARS, PageContext

    ctx = PageContext("Item 7. " + "MANAGEMENT'S DISCUSSION AND ANALYSIS OF FINANCIAL CONDITION " * 2,
                      "Note 15 - " + "STOCKHOLDERS' EQUITY AND OTHER MATTERS " * 2,
                      "CONSOLIDATED STATEMENTS OF CASH FLOWS (In thousands)")
    text = ctx.text()
    assert len(text) <= MAX_CONTEXT_CHARS and text.endswith("CONSOLIDATED STATEMENTS OF CASH FLOWS (In thousands)")
    assert text.startswith("Item 7. MANAGEMENT'S")


def test_numbered_statement_rows_are_neither_headings_nor_a_table_of_contents():
    statement = "\n".join(["第八节 财务报告", "二、财务报表", "一、营业收入 22,047,555,197.04 20,431,000.00",
                           "二、营业总成本 1,042,668,639.94 1,091,000.00", "三、营业利润 1,910,892,081.00 1,800,000.00",
                           "四、利润总额 1,900,000,000.00 1,700,000.00", "五、净利润 1,465,128,822.54 1,361,053,904.36"])
    ctx = page_contexts([statement, "续表 1,234"])
    # not taken for a table of contents: the section the page opens holds, and rows did not become notes
    assert ctx[0].section == "第八节 财务报告" and ctx[1].section == "第八节 财务报告"
    assert ctx[1].note == "二、财务报表"
    toc = "\n".join(f"第{n}节 标题{n} ........ {i * 10}" for i, n in enumerate("一二三四五六", 1))
    assert page_contexts([toc])[0].section == ""


def test_which_ones_in_chinese_is_a_list_and_the_notice_names_the_kind_in_the_questions_language():
    # 哪几家 asks which ones (a list); 几家 alone asks how many
    from rag.answering import notice

    assert kind_of("文中提到了哪几家国内竞争对手？") == "list"
    assert kind_of("哪几个地区增长最快？") == "list"
    assert kind_of("公司有几家子公司？") == "figure"
    assert kind_of("公司在哪几年亏损？") == "when"
    assert notice("kind", "zh", kind="figure") == "没有段落给出所问的数字"
    assert notice("kind", "en", kind="when") == "no passage states the asked date"


def test_who_audits_is_answered_by_a_line_naming_a_firm_of_auditors_not_by_the_audit_reports_own_words():
    from rag.evidence import Candidate, passes_kind

    q = read("谁审计了公司2024年的财务报表？")
    line = lambda text: Candidate(None, 0, 0, len(text), text)   # noqa: E731
    assert passes_kind(q, line("示例会计师事务所（特殊普通合伙）根据国内审计准则对本行编制的2024年度财务报告进行了审计。"))
    assert not passes_kind(q, line("我们审计了示例股份有限公司的财务报表，包括2024年12月31日的合并资产负债表。"))
    en = read("Who is the company's auditor?")
    assert passes_kind(en, line("Example & Co., the auditor of the Company in Hong Kong, has performed a review."))
    assert not passes_kind(en, line("The audit committee reviewed the interim financial statements with management."))


def test_who_audits_prefers_the_sentence_naming_the_firm_over_one_that_only_mentions_an_accounting_firm():
    from rag.evidence import AUDIT_FIRM_NAMED, asks_auditor

    assert asks_auditor("Who is the company's independent registered public accounting firm?")
    assert asks_auditor("哪家会计师事务所审阅了中期财务报表？") and not asks_auditor("Who is the CEO?")
    assert AUDIT_FIRM_NAMED.search("… has been audited by Example Partners LLP, an independent registered public "
                                   "accounting firm, as stated in its report")
    assert AUDIT_FIRM_NAMED.search("财务报表已由本公司独立核数师示例会计师事务所根据国际审阅准则审阅")
    assert not AUDIT_FIRM_NAMED.search("The sections titled “Fees Paid to Independent Registered Public "
                                       "Accounting Firm” in our proxy statement")


def test_where_a_company_is_seated_is_answered_by_its_address_line():
    from rag.evidence import SEAT_STATED, Candidate, _kind_match, asks_seat

    line = lambda text: Candidate(None, 0, 0, len(text), text)   # noqa: E731
    q = read("Where is the company headquartered?")
    assert asks_seat(q.text) and asks_seat("示例银行的注册地址在哪里？") and not asks_seat("Where does it sell most?")
    assert _kind_match(q, line("One Example Drive, Springfield, Rhode Island 02895")) == 1.0
    assert _kind_match(q, line("(Address of principal executive offices) (Zip Code)")) == 1.0
    assert _kind_match(q, line("Vice President of Example Corporation from March 2011 through 2019.")) == 0.0
    assert SEAT_STATED.search("注册地址 中华人民共和国广东省深圳市罗湖区示例路1号")
    # the glossary writes "headquartered" out as a cover page does, so keyword search finds the cover
    from rag.glossary import expand
    assert "principal executive offices" in expand("Where is the company headquartered?")


def test_a_question_naming_a_line_item_asks_every_name_of_it():
    """measures.toml lists an item's names: asking "cash flow from operating activities" asks the row
    "Net cash provided by operating activities", whose words are then the asked item's, not another's."""
    from rag.statements import items_asked, tokens_outside_other_items

    asked = items_asked("How much cash flow from operating activities did it generate?")
    assert "oper" in tokens_outside_other_items("Net cash provided by operating activities", asked)
    assert "invest" not in tokens_outside_other_items("Net cash provided by investing activities", asked)
    assert not items_asked("What was the headcount?")


def test_an_enumeration_parted_by_semicolons_answers_a_list_question():
    # (the kind-match feature the answerer's model weighs: a list question wants an enumeration)
    from rag.evidence import Candidate, _kind_match

    q = read("What are the company's operating segments?")
    line = lambda text: Candidate(None, 0, 0, len(text), text)   # noqa: E731
    assert _kind_match(q, line("Our businesses are organized into five operating segments: North Retail; "
                               "Convenience Stores & Foodservice; Europe & Australia; Asia; and Pet.")) == 1.0
    assert _kind_match(q, line("Segment operating profit rose 5 percent in the year.")) == 0.0


def test_a_chinese_reports_auditor_is_asked_of_its_company_profile():
    # a Chinese report names its auditor in 公司简介 (其他有关资料): a question for it prefers those pages
    assert "cover" in statements_asked("示例银行聘请的会计师事务所是哪家？")
    assert "cover" in statements_asked("Where is the company headquartered?")
    assert "cover" not in statements_asked("Who is the company's auditor?")


def test_a_line_item_named_is_asked_not_the_measure_its_name_holds():
    from rag.statements import concept_items

    assert concept_items("What was its long-term debt at the end of 2022?") == []   # the item, not leverage
    assert "long-term debt" in concept_items("What is its debt to equity ratio?")
    assert "long-term debt" in concept_items("Is it highly leveraged?")
    assert "provision for income taxes" in concept_items("What was its effective tax rate?")
