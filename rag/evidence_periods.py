"""Which period a candidate speaks of, against the period a question asks about.

A figure for another year, another quarter, the year to date, the prior period or a forecast does not
answer a question about a period, however well its words match: ``passes_period`` is the rule the
answerer (rag/answering.py) applies to every candidate (rag/evidence.py) before it scores them. Here too
is what a sentence says its figure is (``subject_clause``), which the rule and the features share.
"""
from __future__ import annotations

import re

from .patterns import YEAR_IN_TEXT
from .questions import Question
from .statements import statements_named

_YEAR = YEAR_IN_TEXT
# dates and times: not figures, and their commas do not end a clause
DATE_LIKE = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:,\s*\d{4})?"
    r"|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\b(?:FY|Q[1-4])\s*'?\d{2,4}\b"
    r"|(?<![\d.,])(?:19|20)\d{2}(?![\d%]|[.,]\d)|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}\s*(?:a\.?m\.?|p\.?m\.?)?|\b\d{1,2}\s*(?:a\.m\.|p\.m\.)|\d{1,2}[:：]\d{2}", re.I)

# a quarter named as such; "前三季度" (the first three quarters, year to date) is not the third quarter.
# pypdf glues a table's title to the line before it ("… and percentagesQ3 2023 Guidance"): a capital Q
# right after a lower-case letter starts a word too.
QUARTER_WORDS = {n: rf"\bQ{n}\b|(?-i:(?<=[a-z])Q{n})\b|{word}[\s-]quarter|(?<!前)第?{zh}季度|(?<!前){n}季度"
                 for n, word, zh in ((1, "first", "一"), (2, "second", "二"), (3, "third", "三"), (4, "fourth", "四"))}
# a range of months short of the year ("1-9月", "2024年10-12月", "7至9月"); "1-12月" is the whole year
_MONTHS_RANGE = r"(?<!\d)(?!1\s*[-–~至]\s*12\s*月)\d{1,2}\s*[-–~至]\s*\d{1,2}\s*月"
# part of a year: a question about the whole year is not answered by a quarter's or a half's figure, nor
# by one part of the year's dividend (the interim or the final one: 末期, "final dividend")
_PART_OF_YEAR = re.compile(r"\b(?:Q[1-4]|(?:first|second|third|fourth)[\s-]quarter|quarters? ended|three months|six months|nine months|"
                           r"twelve weeks|\d{1,2} weeks|year[\s-]to[\s-]date|interim dividends?|final dividends?)\b"
                           r"|季度|上半年|下半年|半年度|前三季|止[三六九]个月|末期|年初至报告期末|" + _MONTHS_RANGE, re.I)
_YEAR_TO_DATE = re.compile(r"\b(?:six|nine) months\b|year[\s-]to[\s-]date|前三季|上半年|1-9月|1-6月|止[六九]个月|\b(?:24|36) weeks\b",
                           re.I)
# a quarter's own column ("Three Months Ended", "12 Weeks Ended", 本季度): a table that has one beside its
# year-to-date columns states the quarter too
_QUARTER_COLUMN = re.compile(r"\b(?:three|3) months\b|\b1[236] weeks\b|\bquarter ended\b|本季度|本报告期|第[一二三四]季度|7-9月|4-6月|10-12月",
                             re.I)
# a question naming a fiscal year ("fiscal 2025", "FY2025", "2025财年"): the filer's, not a calendar year
_FISCAL_Q = re.compile(r"\bfiscal\b|\bFY\s?\d|财年|财政年度|财务年度", re.I)
_FULL_YEAR_Q = re.compile(r"\b(full[\s-]year|for the (?:fiscal )?year|annual|whole year)\b|全年|年度(?!报告)|整年", re.I)
# one fiscal year named, as a figure's period ("What were its net sales in fiscal 2023?", "FY2022"): the whole year,
# unless the question names a part of it or a report ("interim", "first 36 weeks", 中期)
_ONE_FISCAL_YEAR_Q = re.compile(r"\b(?:in|for|during)\s+(?:the\s+)?(?:fiscal\s+(?:year\s+)?|FY\s*)(?:19|20)\d{2}\b",
                                re.I)
_NOT_WHOLE_YEAR_Q = re.compile(r"\binterim\b|\bhalf\b|\bweeks?\b|\bmonths?\b|中期|周|个月", re.I)
# a candidate that speaks of a whole year (a quarterly release prints the year's columns beside the quarter's)
_FULL_YEAR_TEXT = re.compile(_FULL_YEAR_Q.pattern + r"|\b(?:twelve|12) months\b|\byears? ended\b|\bfiscal year\b|"
                             r"\b5[23] weeks\b|1-12月|本年度|本年累计", re.I)


# the previous period ("Last year's third quarter net income was …", "上年同期") and forward-looking
# statements ("Forecasting second-quarter revenue of …", "预计") answer a question about the period
# itself only when the question asks for them
PRIOR_TEXT = re.compile(r"\b(last year|prior year|previous year|a year ago|year-ago|prior-year|same period of|"
                        r"compared (?:to|with) \S+ (?:in|for) the)\b|上年同期|去年同期|上年|去年|上期", re.I)
_PRIOR_HEADER = re.compile(r"期初|年初|上年年末|上期|上年同期|\bbeginning of (?:the )?(?:year|period)\b", re.I)
_CURRENT_HEADER = re.compile(r"期末|本期|本年|(?<!上)年末|\bend of (?:the )?(?:year|period)\b", re.I)


# a balance at a point in time ("2024年末", "as of December 31") is not an average over the period ("日均余额",
# "Average balance"), unless the question asks for the average
_POINT_IN_TIME_Q = re.compile(r"年末|期末|季末|月末|年初|期初|\bas (?:of|at)\b|\bat (?:the )?end of\b|\byear[\s-]end\b", re.I)
_AVERAGE = re.compile(r"日均|平均|\baverage\b", re.I)


def prior_only_header(header: str) -> bool:
    """A table header whose columns are the beginning or prior period only ("项目 期初余额 1年以内 …"): its
    rows are not the period-end or current figures a question asks for unless it asks for the prior ones."""
    return bool(header and _PRIOR_HEADER.search(header) and not _CURRENT_HEADER.search(header))


OUTLOOK_TEXT = re.compile(r"\b(forecast\w*|expect\w*|outlook|guidance|anticipat\w*|project\w*|will be|"
                          r"intends?|plans? to)\b|预计|预期|指引|展望|计划", re.I)
OUTLOOK_Q = re.compile(r"\b(forecast\w*|expect\w*|outlook|guidance|anticipat\w*|project\w*|plan\w*|will|"
                       r"future|next)\b|预计|预期|指引|展望|计划|未来|将", re.I)
# a table of forecasts names itself so in its title or column header ("Q3 2023 Guidance", "业绩指引")
_OUTLOOK_HEADER = re.compile(r"\b(guidance|outlook|forecasts?)\b|指引|展望|预测", re.I)
# a question asking for a forecast (not any question about the future: "What will …")
FORECAST_Q = re.compile(r"\b(guidance|outlook|forecast\w*|expect\w*|project\w*)\b|指引|展望|预期|预计|预测", re.I)


def is_forecast(c) -> bool:
    """Whether a candidate is a forecast: it says so ("expects", 预计), or sits in a guidance table or under
    a heading of guidance ("(一)2024年第四季指引")."""
    return bool(OUTLOOK_TEXT.search(c.text) or (_OUTLOOK_HEADER.search(c.header_text) if c.is_row
                                                 else _OUTLOOK_HEADER.search(c.heading)))


def subject_clause(text: str) -> str:
    """What a sentence or row says its figure is: the clause right before its first figure ("Revenue
    was RMB458,946 million" -> "Revenue was"; "…营业收入、净利润同比有所下降，全年实现净利润445.08亿元" ->
    "全年实现净利润"; "Product development expenses … were RMB24,683 million, or 5% of revenue" -> what
    precedes RMB24,683). Dates and times are not figures, and their commas do not end a clause."""
    masked = DATE_LIKE.sub(lambda m: " " * len(m.group(0)), text)
    m = _FIRST_DIGIT.search(masked)
    end = m.start() if m else len(text)
    cuts = [x.end() for x in re.finditer(r"[,，;；:：。]", masked[:end])]
    start = cuts[-1] if cuts and end - cuts[-1] >= 4 else (cuts[-2] if len(cuts) > 1 else 0)
    # "… as a percentage of revenue", "占收入的比例": there revenue is what the figure is measured against
    clause = _RATIO_OF.sub(" ", text[start:end])
    # "entered into a new $2,500,000,000 five year unsecured revolving credit agreement": an amount after
    # an article is said of the noun that follows it
    if m and _ARTICLE_BEFORE.search(masked[:end]):
        after = _NOUN_AFTER_AMOUNT.match(masked, m.start())
        if after:
            clause += " " + after.group(1)
    return clause


_ARTICLE_BEFORE = re.compile(r"(?i)\b(?:a|an)\s+(?:[a-z-]+\s+){0,2}$")
# the amount, its scale, then the words up to a preposition, a verb of stating or punctuation
_NOUN_AFTER_AMOUNT = re.compile(r"(?i)(?:RMB|USD|HKD|US\$|HK\$|\$)?\s?\d[\d,.]*\s*(?:million|billion|thousand|trillion)?\s+"
                                r"((?:(?!(?:of|in|for|to|from|and|or|that|which|was|were|is|are|with|by|on|at)\b)"
                                r"[a-z][a-z-]*\s*){1,6})")
_FIRST_DIGIT = re.compile(r"(?:RMB|USD|HKD|US\$|HK\$|\$|¥|￥)?(?<![A-Za-z])\d|(?:RMB|USD|HKD)\d")
_RATIO_OF = re.compile(r"\b(?:as a (?:percentage|percent|share|proportion) of|(?:%|percent) of|relative to)\s+(?:\w+\s+){0,3}"
                       r"|占\S{0,8}?(?:的)?(?:比例|比重|百分比)", re.I)


_COMPARED_YEAR = re.compile(r"\b(?:compared (?:to|with)|versus|vs\.?|over) (?:the )?(?:same period (?:of|in) )?(?:fiscal (?:year )?)?"
                            r"(?:19|20)\d{2}\b|较\s*(?:19|20)\d{2}\s*年度?|与\s*(?:19|20)\d{2}\s*年度?(?:同期)?相比", re.I)


def passes_period(q: Question, c, doc_years: set[str], doc_quarter: int | None = None) -> bool:
    """(``c``: a candidate of rag/evidence.py, its text and the header it is read under.)

    A question about a period is not answered from another one: a candidate whose own years (its
    text, the column header it is read under) or, when it names none, its document's years, are all
    other years than the asked ones; or that names only other quarters than the asked ones, or, when
    it names no quarter, sits in a quarterly report of another quarter (a Q1 release's table read
    under "Three Months Ended Apr 1, 2023 / Apr 2, 2022" answers nothing about a third quarter)."""
    if q.years:
        # (the year a figure is compared with is not the figure's: "Diluted EPS of $3.56 was up 23 percent
        # compared to fiscal 2019 results" is fiscal 2020's in a fiscal 2020 report)
        years = set(_YEAR.findall(_COMPARED_YEAR.sub(" ", c.text) + " " + c.header_text))
        if years and not years & q.years and not (_FISCAL_Q.search(q.text) and doc_years & q.years
                                                  and years <= doc_years):
            # (a fiscal year asked is the filer's: "2025财年中期" of a report of the six months ended
            # 2024-09-30 is told in that report's own calendar years, which its description names)
            return False
        if not years and doc_years and not doc_years & q.years:
            return False
    said = {n for n, rx in QUARTER_WORDS.items() if re.search(rx, c.text + " " + c.header_text, re.I)}
    if q.quarters and said and not said & q.quarters:
        return False
    if q.quarters and not said and doc_quarter and doc_quarter not in q.quarters and not OUTLOOK_Q.search(q.text):
        return False   # (guidance for a later quarter is given in the report of an earlier one)
    if q.quarters and not said and _YEAR_TO_DATE.search(c.text + " " + c.header_text) and \
            not _QUARTER_COLUMN.search(c.header_text):
        return False   # a quarter asked, a year-to-date figure given ("2024年前三季度 (1-9月)", "nine months ended")
    if _YEAR_TO_DATE.search(q.text) and not q.quarters:
        # the year to date asked ("前三季度", "first 36 weeks"), the quarter's own figure given: a row or
        # sentence that names only the quarter's column ("营业收入_本报告期", "three months ended") and nothing
        # of the year to date
        said = c.text + " " + c.header_text
        if _QUARTER_COLUMN.search(said) and not (_YEAR_TO_DATE.search(said) or "年初至" in said):
            return False
    subject = subject_clause(c.text)
    if _POINT_IN_TIME_Q.search(q.text) and not _AVERAGE.search(q.text) and \
            _AVERAGE.search(subject + " " + (c.header_text if c.is_row else "")):
        return False   # a year-end balance asked, a row of average balances given ("日均余额及收益率")
    if not q.asks_prior and PRIOR_TEXT.search(subject):
        return False   # "Last year's third quarter net income was …": the figure is the prior period's
    if OUTLOOK_TEXT.search(subject) and not OUTLOOK_Q.search(q.text):
        return False   # "Forecasting second-quarter revenue of …": a forecast, not what was reported
    if c.is_row and _OUTLOOK_HEADER.search(c.header_text) and not OUTLOOK_Q.search(q.text):
        return False   # a row of a guidance table ("Revenue $2.46 - $2.52" under "Q3 2023 Guidance")
    if not c.is_row and _OUTLOOK_HEADER.search(c.heading) and not OUTLOOK_Q.search(q.text):
        return False   # a sentence under a heading of guidance ("- 毛利率介于18%至20%的范围内。" under "(一)2024年第四季指引")
    if q.years and not q.quarters and not _PART_OF_YEAR.search(q.text) and c.is_row and \
            (len({n for n, rx in QUARTER_WORDS.items() if re.search(rx, c.header_text, re.I)}) >= 2
             or len(set(re.findall(_MONTHS_RANGE, c.header_text))) >= 2):
        # a year asked, a row of a quarter-by-quarter table given (分季度主要财务指标, "2024年10-12月 2024年7-9月")
        return False
    whole_fiscal = (q.kind == "figure" and len(q.years) == 1 and bool(_ONE_FISCAL_YEAR_Q.search(q.text))
                    and not _NOT_WHOLE_YEAR_Q.search(q.text) and not OUTLOOK_Q.search(q.text))
    if not q.quarters and (_FULL_YEAR_Q.search(q.text) or whole_fiscal) and not _PART_OF_YEAR.search(q.text):
        # the whole year asked: a candidate that speaks only of part of a year is another period
        said = c.text + " " + c.header_text
        if not _FULL_YEAR_TEXT.search(said) and (_PART_OF_YEAR.search(said) or doc_quarter is not None):
            # (a quarterly report's figures are the quarter's or the year to date's unless they say otherwise;
            # but a balance sheet's row in a fourth quarter's release is the balance at the fiscal year's end)
            year_end_balance = (doc_quarter == 4 and c.is_row and not _PART_OF_YEAR.search(said)
                                and "balance" in statements_named(c.where))
            if not year_end_balance:
                return False
    return True
