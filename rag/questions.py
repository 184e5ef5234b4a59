"""What a question asks for, in either language: its kind, the metric, the periods, the words that matter.

The kind decides the shape of the answer (rag/answering.py):

- ``figure``: how much / how many / what percentage / what was <metric> (多少, 比例, 金额, 是多少);
- ``yesno``: Is/Did/Has … ?, 是否 / 吗 / 有没有;
- ``choice``: which of two ("… organic or from acquisitions?", "增长还是下降");
- ``list``: which regions / what risks / list / name the (哪些, 分别, 有哪些);
- ``who`` / ``when`` / ``where``;
- ``describe``: why / how / what drove / explain, and anything else.

Recognised from the wording of the question alone, by patterns that describe kinds of
questions (no document, company or figure of any evaluation set appears here).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .patterns import YEAR_IN_TEXT
from .statements import statements_asked
from .text import STOPWORDS, is_cjk_text, keyword_tokens, language_of

KINDS = ("figure", "yesno", "choice", "list", "who", "when", "where", "describe")

# a word that opens a question without naming anything ("What", "According", "Using")
QUESTION_WORD = re.compile(r"^(what|which|who|how|when|where|why|did|does|do|is|are|was|were|can|could|according|in|for|"
                           r"on|by|list|name|give|tell|if|as|among|using|based|has|have|had|roughly|approximately)$", re.I)

_WHO = re.compile(r"(?:^|[,;:]\s*)(who|whom|whose)\b|\bname of (?:[\w'’]+ ){0,3}(?:person|chair\w*|ceo|cfo"
                  r"|chief \w+ officer|auditor|president|director)|\bwhich (?:accounting |audit |auditing )?firm\b"
                  r"|\bwhich auditors?\b"
                  r"|谁|哪位|姓名|叫什么名字|哪家(?:会计师事务所|审计机构|机构|公司|银行|券商)", re.I)
# ("when" asks when where it opens the question or a clause asking ("…, and when did it close?"), not as a
# conjunction: "What should analysts focus on when valuing it?")
_WHEN = re.compile(r"(?:^|[,;:]\s*|\band\s+|\bbut\s+)when\b|\bwhen\s+(?:did|does|do|is|was|were|will|are|has|have|had"
                   r"|can|could|should|would)\b|\b(what date|which year|what year|which day|what time)\b"
                   r"|何时|什么时候|哪一年|哪几年|哪年|哪天|日期是|几月", re.I)
_WHERE = re.compile(r"\b(where|which (?:country|countries|city|cities|location))\b|在哪里|在哪儿|哪个国家|哪些国家|在哪", re.I)
_LIST = re.compile(
    r"\b(which|what)\s+(?:\w+\s+){0,2}(?:are|were|have been)\b|\b(list|name|enumerate|what are|what were)\b"
    r"|\b(?:which|what) (?:\w+ ){0,2}(?:regions|countries|segments|risks|factors|products|companies|markets|drivers|"
    r"acquisitions|businesses|items|measures|areas|reasons)\b|\bthree main|\bmain (?:\w+ )?(?:drivers|factors|risks)\b"
    r"|哪些|有哪几|分别是|分别为|列举|包括什么|包括哪|几项|哪几", re.I)
# the nouns of measures and statement line items a "what was/were …" question asks the figure of ("What were
# Acme's total current assets?" is no list). (Not a bank's deposits and loans yet: as figure questions, their
# rows in the interest tables, "吸收存款 72,321" of interest expense, outrank the balances.)
_MEASURE_NOUN = (r"(?:revenue|sales|income|profit|margin|eps|dividend|guidance|ebitda|ebita|cash flow|assets"
                 r"|liabilities|equity|debt|receivables|payables|inventories|inventory|expenses|capital expenditures"
                 r"|cash|earnings|goodwill|borrowings|per share|shares outstanding)s?\b")
# the heads of other statement lines ("pension benefit obligations", "other taxes payable", "purchases of
# short-term investments"), asked of a year: "… obligations in fiscal 2021" is a figure, "… obligations under
# the credit agreement" a description
_LINE_HEAD_OF_YEAR = (r"(?:obligations|payable|taxes|investments|compensation|provisions|reserves|allowance|accruals"
                      r"|depreciation|amortization|impairments?|expense|costs?)s?"
                      r"\s+(?:in|for|as of|at the end of|during)\s+(?:the\s+)?(?:fiscal\s+(?:year\s+)?|FY\s*)?(?:19|20)\d\d\b")
# an abbreviation right after a company's possessive with nothing after it but the period asked ("Acme's GMV in
# Q2 2023", "Acme's EBITDA for 2022?") names a measure, not a segment ("Acme's AIDC revenue")
MEASURE_ABBREVIATION = r"(?-i:[A-Z]{2,6})s?\b(?=\s+(?:in|for|at|as of|during|on)\b|\s*[?？]|\s*$)"
_FIGURE = re.compile(
    r"\b(how (?:much|many)|what (?:is|was|were|are) (?:the )?(?:total |net |gross |adjusted |average )?"
    r"(?:amount|value|number|percentage|percent|share|proportion|ratio|rate|margin|revenue|revenues|sales|income|"
    r"profit|loss|eps|earnings|cash|capex|debt|assets|liabilities|equity|dividend|dividends|expense|expenses|cost|"
    r"costs|ebitda|ebit|growth|turnover|guidance)|by how (?:much|many)|what percentage|what portion|how large"
    r"|round(?:ed)? (?:your answer|to)|answer in (?:units|usd|percent))\b"
    rf"|^\s*what (?:\S+ ){{0,3}}{_MEASURE_NOUN}"
    # (after "what is/were", the company's name and the measure's qualifiers: "What were Acme's total net revenues",
    # "What were Acme's total current assets")
    rf"|^\s*what (?:is|was|were|are) (?:\S+ ){{0,2}}\S+['’]s? (?:\S+ ){{0,3}}{_MEASURE_NOUN}"
    rf"|^\s*what (?:is|was|were|are) (?:\S+ ){{0,2}}\S+['’]s? (?:\S+ ){{0,4}}{_LINE_HEAD_OF_YEAR}"
    # (or a measure's abbreviation, all it asks of the company: "What was Acme's GMV in Q2 2023?")
    rf"|^\s*what (?:is|was|were|are) (?:the )?\S+['’]s {MEASURE_ABBREVIATION}"
    r"|多少|百分之|比例|占比|比重|金额|余额|规模多大|增长了|增幅|降幅|几个百分点|是多少|为多少|合计|总额|各是|(?<!哪)几(?:年|个|家|项)", re.I)
_FIGURE_WORDS = re.compile(
    r"\b(revenue|sales|income|profit|margin|eps|earnings per share|cash flow|capex|capital expenditure|ebitda|"
    r"ratio|dividend|assets|liabilities|debt|expenses?|turnover|growth rate|rate|utili[sz]ation|occupancy)\b"
    r"|收入|利润|毛利|费用|现金|资产|负债|"
    r"收益|比率|率", re.I)
_YESNO_EN = re.compile(r"^\s*(?:as of [^,]+,\s*)?(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b", re.I)
_YESNO_ZH = re.compile(r"是否|吗[？?]?\s*$|有没有|是不是|能否|可否")
# whether something was disclosed ("Did the company disclose the terms?", "收购价格披露了吗？") is decided by
# the sentence that says what was, or was not, disclosed. (Announcing is not disclosing: "Did X announce a
# buyback?" asks about the buyback; 公开发行 is a public offering.)
DISCLOSURE = re.compile(r"\b(?:disclos\w*|reveal\w*|made public)\b|披露|透露|公布|公开(?!发行|市场|招股|交易)", re.I)
_CHOICE = re.compile(r"\b(\w+(?:\s\w+){0,3})\s+or\s+(\w+(?:\s\w+){0,3})\s*\?\s*$|还是", re.I)
# a question that asks how something changed or compares ("how much did it grow", "同比增长了多少",
# "How did that compare with a year earlier?", "increase or decrease")
CHANGE_ASKED = re.compile(r"\b(?:chang\w*|compar\w*|grow\w*|grew|increas\w*|decreas\w*|declin\w*|rise|rose|risen|fall|"
                          r"fell|drop\w*|improv\w*|earlier|ago|year[\s-]over[\s-]year|yoy)\b"
                          r"|变化|变动|增长|增加|减少|下降|上升|同比|环比|相比|增减|增幅|降幅", re.I)
# "How did revenue change year over year?", "How did that compare with a year earlier?": the change of a figure
_HOW_CHANGED = re.compile(r"\bhow (?:did|has|have|does|do) (?:\S+ ){0,5}?(?:change|changed|compare|grow|grown|increase|"
                          r"decrease|decline|move)\b", re.I)
_VERSUS_BEFORE = re.compile(r"\b(?:year[\s-]over[\s-]year|yoy|a year (?:earlier|ago|before)|year-ago|prior year|"
                            r"previous year|last year|sequentially|quarter[\s-]over[\s-]quarter)\b", re.I)
_DESCRIBE = re.compile(r"\b(why|how did|how does|how do|how has|what drove|what caused|explain|describe|what led|"
                       r"what explains|what happened|how would)\b|为什么|为何|原因|如何|怎样|怎么|说明|解释|驱动", re.I)

_YEAR = YEAR_IN_TEXT
_FY = re.compile(r"\bFY\s*'?(\d{2}|\d{4})\b", re.I)
# (前三季度, the first three quarters, is the year to date, not the third quarter)
_QUARTER = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)[\s-]quarter\b|(?<!前)第?([一二三四1-4])季度", re.I)
_QORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_PRIOR = re.compile(r"\b(prior year|previous year|last year|a year ago|year-ago|prior period|beginning of (?:the )?year)\b"
                    r"|上年|去年|上期|年初|期初", re.I)
_CURRENT_END = re.compile(r"\b(end of (?:the )?(?:year|period|quarter)|year[- ]end|as of)\b|(?:期|年|季度|季|月)末|年底", re.I)


@dataclass
class Question:
    text: str
    language: str
    kind: str
    words: list[str] = field(default_factory=list)      # content keyword tokens (stemmed English), in order
    years: set[str] = field(default_factory=set)
    quarters: set[int] = field(default_factory=set)
    statements: dict[str, float] = field(default_factory=dict)
    asks_prior: bool = False     # the previous period / the beginning balance
    asks_end: bool = False       # the period-end balance
    options: tuple[str, ...] = ()   # the two alternatives of a which-of-two question
    # the names of the company the passages are about (issuer, short names, tickers; lower case): a
    # question's words inside them ("示例银行" -> 示例, 银行) are not what it asks about
    names: tuple[str, ...] = ()


def main_question(question: str) -> str:
    """The question itself, without the instructions that may follow it ("… ? Answer in units of
    percents … an analyst who only has access to …")."""
    m = re.search(r"[?？]", question)
    return question[: m.end()] if m and m.end() > 8 else question


# a follow-up rewritten with the earlier question's context in front of it ("SMIC Q3 2024 Who is its chief
# financial officer?", rag/conversation.py) opens where a capitalised question word stands after that context
_OPENS_AFTER = re.compile(r"(?<=\s)(?:Who|Whom|Whose|What|Which|When|Where|Why|How|Is|Are|Was|Were|Did|Does|Do|Has"
                          r"|Have|Had|Can|Could|Will|Would|Should)\b")


def question_proper(question: str) -> str:
    """The question itself: without instructions after it (:func:`main_question`) nor a context of names
    and periods in front of it that does not open with a question word."""
    q = main_question(question).strip()
    first = q.split(maxsplit=1)[0].strip(",:") if q else ""
    if QUESTION_WORD.match(first):
        return q
    m = _OPENS_AFTER.search(q)
    return q[m.start():] if m else q


def kind_of(question: str) -> str:
    q = question_proper(question)
    if _WHO.search(q):
        return "who"
    if _WHEN.search(q) and not _FIGURE.search(q):
        return "when"
    if (_CHOICE.search(q) and re.search(r"\bor\b|还是", q, re.I)) and not _LIST.search(q):
        return "choice"
    if _YESNO_EN.search(q):
        return "yesno"
    if _FIGURE.search(q) or (_HOW_CHANGED.search(q) and (_FIGURE_WORDS.search(q) or _VERSUS_BEFORE.search(q))):
        return "figure"
    if _YESNO_ZH.search(q) and not _LIST.search(q):   # "…多少？能帮我查一下吗？" asks for the figure
        return "yesno"
    if _WHERE.search(q):
        return "where"
    if _LIST.search(q):
        return "list"
    if _DESCRIBE.search(q):
        return "describe"
    if re.match(r"^\s*what\s+(?:is|was|were|are)\b", q, re.I) and _FIGURE_WORDS.search(q):
        return "figure"
    return "describe"


# a year that names the report a question reads ("per its fiscal 2022 interim report", "(FY2025 interim
# report)", "2026财年中期报告") says which document, not which period, when the question names a period too
_REPORT_YEAR = re.compile(
    r"(?:\bfiscal\s+(?:year\s+)?|\bFY\s*'?)?(?:19|20)\d{2}\s+(?:annual|interim|half[- ]year(?:ly)?|quarterly|"
    r"semi-annual)\s+report\b|\bFY\s*(?:19|20)\d{2}\s+(?:annual|interim|quarterly)\s+report\b"
    r"|(?:19|20)\d{2}\s*(?:财年|财政年度|年度?)?\s*(?:年度报告|年报|中期报告|半年度报告|半年报|季度报告|季报)", re.I)


def _years(question: str) -> set[str]:
    def found(text: str) -> set[str]:
        years = set(_YEAR.findall(text))
        for m in _FY.finditer(text):
            y = m.group(1)
            years.add(y if len(y) == 4 else "20" + y)
        return years

    # the years outside the report's name, else (the report's year the only period named) all of them
    return found(_REPORT_YEAR.sub(" ", question)) or found(question)


def read(question: str) -> Question:
    q = question or ""
    quarters = set()
    for m in _QUARTER.finditer(q):
        g = m.group(1) or m.group(2) or m.group(3)
        quarters.add(int(g) if g.isdigit() else _QORD[g.lower()])
    options = ()
    m = _CHOICE.search(q)
    if m and m.group(1) and m.group(2):
        options = (m.group(1).split()[-1], m.group(2).split()[0])
    elif "还是" in q:
        a, _, b = q.partition("还是")
        options = (a[-2:], b[:2])
    words = [t for t in keyword_tokens(q) if t not in STOPWORDS and len(t) > 1]
    return Question(q, language_of(q), kind_of(q), list(dict.fromkeys(words)), _years(q), quarters,
                    statements_asked(q), bool(_PRIOR.search(q)), bool(_CURRENT_END.search(q)), options)


# Sentences after the question that tell the answerer how to answer ("Round your answer to two decimal
# places.", "Answer in units of percents.", "If X is not a useful metric …, then please state that …",
# "Approach the question asked by assuming …"): they are not about the documents, and their words would
# steer keyword search toward any page that happens to say "round" or "answer"
_INSTRUCTION_SENTENCE = re.compile(
    r"^\s*(?:round|answer|approach|calculate|compute|assume|assuming|give|provide|express|show|state|explain|"
    r"reply|respond|respond|do not|don't|use (?:the|only)|using the|base your|please)\b|\bplease\b|请(?:用|以|按|保留)",
    re.I)


def search_text(question: str) -> str:
    """The question without its answer-format instructions (for retrieval; the full text still
    decides the kind and the statements asked)."""
    parts = re.split(r"(?<=[.?!。？！])\s+", (question or "").strip())
    kept = [p for i, p in enumerate(parts) if i == 0 or not _INSTRUCTION_SENTENCE.search(p)]
    return " ".join(kept)


def is_chinese(question: str) -> bool:
    return is_cjk_text(question)
