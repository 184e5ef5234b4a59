"""Measures computed from a statement's line items: "What is the FY2020 current ratio?", "Is the
operating margin improving?", "FCF here is defined as cash from operations - capex".

No line of a filing states such a measure; the rows of its line items do (Total current assets,
Total current liabilities). The answer quotes those rows, each cited, and shows the arithmetic on
the figures it quotes ("5,121.3 / 7,491.5 = 0.68"), so every number in it is either quoted or
computed in plain sight from quoted ones.

The measure comes from the question: a definition it gives ("Define working capital ratio as total
current assets divided by total current liabilities"), else a measure it names, from the vocabulary
in ``rag/data/measures.toml`` (general accounting terms, no issuer names). Each operand is a row
of the answer's document whose label names its line item, read in the asked period's column (the
header's years), or in every column the operands share for a question about a trend.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from langchain_core.documents import Document

from .evidence import Candidate, PageTexts, page_rows, parent_only, row_label
from .evidence_periods import subject_clause
from .patterns import YEAR_ALONE
from .quantities import extract_quantities
from .statements import (TOTAL_WORDS, items_asked, statements_named, title_phrases,
                         tokens_outside_other_items)
from .text import CJK_CHAR, keyword_token_set, keyword_tokens
from .vocabulary import DATA_DIR, vocabulary

MEASURES = DATA_DIR / "measures.toml"
MAX_COLUMNS = 3          # a trend is shown over at most three periods (a 10-K's income statement)
MAX_EXTRA_WORDS = 3      # a row label with more words than its line item's name names something else
SEARCH_PAGES = 6         # pages of the answer's document whose rows may hold an operand
STATEMENT_PAGES = 4      # pages of a statement read for an operand no passage's page holds


@dataclass(frozen=True)
class Term:
    names: tuple[str, ...]    # how a row label names the line item, preferred first
    sign: int = 1             # -1: subtracted by magnitude
    statements: tuple[str, ...] = ()   # the statements it is printed on (none known: any page)
    excluding: tuple[str, ...] = ()    # words of a label that make it another item
    expense: bool = False     # an expense: its magnitude counts, however it is printed ("(350)" or "350")


@dataclass(frozen=True)
class Formula:
    name: str                 # as the question calls it
    top: tuple[Term, ...]
    over: tuple[Term, ...] = ()
    percent: bool = False
    average_over: bool = False
    defined: bool = False     # defined by the question itself, not named from the vocabulary
    names: tuple[str, ...] = ()   # every name of a vocabulary measure, in both languages
    growth: bool = False      # the change of its one line item from the prior period, in percent
    direction: tuple[str, str] = ()   # a question whether the item went up or down: its words for each


@dataclass(frozen=True)
class _Vocabulary:
    items: dict               # line item -> (names, statements)
    measures: tuple           # (name as a question writes it, spec), longest name first


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    data = vocabulary("measures")
    path = MEASURES
    items = {k: (tuple(_norm(n) for n in v.get("names", [])), tuple(v.get("statements", [])),
                 tuple(_norm(n) for n in v.get("excluding", [])), bool(v.get("expense")))
             for k, v in (data.get("line_item") or {}).items()}
    measures = []
    for key, spec in (data.get("measure") or {}).items():
        for part in ("plus", "minus", "over"):
            unknown = [i for i in spec.get(part, []) if i not in items]
            if unknown:
                raise ValueError(f"{path}: measure {key!r} names unknown line items {unknown}")
        measures += [(_norm(n), spec) for n in spec.get("names", [])]
    return _Vocabulary(items, tuple(sorted(measures, key=lambda m: -len(m[0]))))


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().replace("’", "'").split())


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(keyword_tokens(_norm(text)))


# -- which measure a question asks for -----------------------------------------------------------------

_DEFINED = [
    # "Define working capital ratio as total current assets divided by total current liabilities."
    re.compile(r"\bdefine\s+(?P<name>[^.?;:]{2,60}?)\s+as:?\s+(?P<expr>[^?;]+?)(?:\.(?!\d)|\?|;|$)", re.I),
    # "FCF here is defined as: (cash from operations - capex)", "… calculated as net income / revenue"
    re.compile(r"(?P<name>[A-Za-z][\w &/()-]{1,60}?)\s+(?:here\s+)?(?:is\s+|being\s+)?(?:defined|calculated|computed)"
               r"\s+(?:here\s+)?as:?\s+(?P<expr>[^?;]+?)(?:\.(?!\d)|\?|;|$)", re.I),
]
# a ratio the question spells out: "using Adjusted EBIT as the numerator and interest expense as the
# denominator", "What was capex as a % of revenue in FY2019?"
_FRACTION = re.compile(r"\busing\s+(?P<top>[^.?;]{2,60}?)\s+as\s+(?:the\s+)?numerator\s+and\s+(?P<over>[^.?;]{2,60}?)"
                       r"\s+as\s+(?:the\s+)?denominator", re.I)
_SHARE_OF = re.compile(r"(?:\bwhat\s+(?:is|was|were)\s+)?(?P<top>[A-Za-z][\w&'-]*(?:\s+[\w&'-]+){0,4}?)\s+as\s+an?\s+"
                       r"(?:%|percent|percentage)\s+of\s+(?P<over>[A-Za-z][\w&'-]*(?:\s+[\w&'-]+){0,4}?)"
                       r"(?=\s+(?:in|for|during|of|at|over)\b|[?.,;]|$)", re.I)
_DIVIDED = re.compile(r"\s+(?:divided\s+by|over)\s+|\s*/\s*", re.I)
_TERM_SPLIT = re.compile(r"\s+(?:minus|less|plus)\s+|\s+[-−+]\s+", re.I)
_PERCENT_ASKED = re.compile(r"%|\bpercent|\bpercentage\b|\bmargin\b|\brate\b|率", re.I)
_ROUND = re.compile(r"\bround(?:ed)?\b[^.?]*?\b(?:to\s+)?(?P<n>\d|one|two|three|four|zero|no)\s+decimal", re.I)
_NUMBER_WORDS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4}
# the period an operand is read for is the question's: "FY2021 revenue", "average PP&E between FY2020 and FY2021"
_PERIOD_IN_OPERAND = re.compile(r"\b(?:between|from|for|in|at|of)?\s*(?:FY\s?)?(?:19|20)\d{2}(?:\s*(?:and|to|-)\s*(?:FY\s?)?(?:19|20)\d{2})?\b"
                                r"|\bfiscal\s+year\b|^(?:annual|yearly|quarterly|full[\s-]year)\s+", re.I)
# a measure qualified so is another one, which this module does not compute
_QUALIFIED_BEFORE = re.compile(r"(?:\badjusted|\bnon-?gaap|\bsegment|\bcore|\bunderlying|\borganic|\bpro\s?forma"
                               r"|\bsame[\s-]store|\bcomparable|\bconstant[\s-]currency|\blong[\s-]term|\bsustainable"
                               r"|\bcompound(?:\s+annual)?|扣非|调整后|加权平均|扣除非经常性损益后?的?|分部的?)[\s-]*$")
_QUALIFIED_AFTER = re.compile(r"^[\s-]*(?:per\s+share|margin|yield|每股|(?:of|for|in|at)\s+(?:the|its|our)\s+[^?.,]{0,40}?"
                              r"\b(?:segment|division|business|unit)\b|[^?。，]{0,12}分部)")
_AS_SHARE = re.compile(r"\bas\s+a\s+(?:percentage|percent|%)\s+of\b|占.{1,12}(?:比|比例|比重)")
_CHANGE_STATED = re.compile(r"\b(?:increas|decreas|grew|grow|declin|rose|fell|up|down)\w*\b|增长|增加|下降|减少|同比")
_TIMES = re.compile(r"\bturnover\b|\bcoverage\b|周转", re.I)
# "Answer in units of percents", "as a percentage": the result in percent
_IN_PERCENT = re.compile(r"\b(?:in|as)\s+(?:units\s+of\s+)?(?:a\s+)?(?:percent|percents|percentage)\b", re.I)
# words before a defined measure's name that are not of it: "Where FCF is defined as …", "the company's …"
_NOT_OF_NAME = re.compile(r"^(?:.*'s\s+|(?:where|and|please|compute|calculate|let|here|with|then|so|also|the|a|an|its|their)\s+)+", re.I)
# whether an item went up or down: "increase or decrease", "是增加还是减少", "Did it grow its PP&E …?",
# "Has it increased its debt …?"
_DIRECTION_CHOICE = re.compile(r"\b(?:increase|grow|rise|go up|improve)\w*\s+or\s+"
                               r"(?:decrease|decline|fall|shrink|go down|drop)\w*\b"
                               r"|(?:增加|增长|上升|提高|扩大)还是(?:减少|下降|降低|缩小)", re.I)
# (not "Were there any events that increased net income?": a relative clause's verb is not the question's)
_DIRECTION_YESNO = re.compile(r"^\s*(?:did|has|have|was|were|does|do|is)\b"
                              r"(?:(?!\b(?:that|which|who|there)\b)[^?]){0,80}?"
                              r"\b(?:increas|grow|grew|rais|rise|rose|declin|decreas|reduc|fall|fell)\w*\b", re.I)
_SEGMENT = re.compile(r"\bsegments?\b|\bdivisions?\b|分部", re.I)
_UP_WORDS = ("增长", "增加", "上升", "提高", "扩大")
_DOWN_WORDS = ("下降", "减少", "降低", "缩小")
_AVERAGE = re.compile(r"^(?:the\s+)?(?:average|avg\.?|mean)\s*(?:of\s+)?", re.I)


@lru_cache(maxsize=1024)
def formula_asked(question: str) -> Formula | None:
    """The measure ``question`` asks for: the one it defines, else the longest one it names; None when
    it asks for neither."""
    for pattern in _DEFINED:
        m = pattern.search(question)
        if m and (f := _parse_definition(m.group("name"), m.group("expr"), question)):
            return f
    m = _FRACTION.search(question)
    if m and (f := _parse_definition("Ratio", f"{m.group('top')} / {m.group('over')}", question)):
        return f
    m = _SHARE_OF.search(question)
    if m:
        top = _NOT_OF_NAME.sub("", m.group("top").strip())
        f = _parse_definition("share", f"{top} / {m.group('over')}", question)
        if f is not None:
            top = _PERIOD_IN_OPERAND.sub(" ", top).strip()
            return replace(f, name=f"{top} as a % of {m.group('over').strip()}", percent=True)
    norm, words = _norm(question), _words(question)
    for name, spec in _vocabulary().measures:
        if _names(name, norm, words):
            at = norm.find(name)   # (-1 when only the stemmed words match: "capital-intensive")
            before, after = (norm[:at], norm[at + len(name):]) if at >= 0 else ("", "")
            if _QUALIFIED_BEFORE.search(before[-24:]) or _QUALIFIED_AFTER.match(after):
                return None   # "adjusted free cash flow", "FCF margin": another measure than the plain one
            name = name.upper() if len(name) <= 4 and name.isascii() else name   # "roe" -> "ROE"
            # a measure a question names by its use ("capital intensive") is shown as what is computed
            name = spec.get("display_zh" if CJK_CHAR.search(question) else "display") or name
            items = _vocabulary().items
            if spec.get("growth"):
                # the growth of the line item the question names ("total revenue growth rate"), else the
                # measure's own (revenue)
                named = _item_named(norm, words) or spec.get("plus", [None])[0]
                if named is None:
                    return None
                return Formula(name, (Term(*_item(items[named])),), percent=True, growth=True,
                               names=tuple(_norm(n) for n in spec.get("names", [])))
            return Formula(name,
                           tuple(Term(*_item(items[i])) for i in spec.get("plus", []))
                           + tuple(Term(*_item(items[i], -1)) for i in spec.get("minus", [])),
                           tuple(Term(*_item(items[i])) for i in spec.get("over", [])),
                           bool(spec.get("percent")), bool(spec.get("average_over")),
                           names=_sibling_names(spec))
    return _direction_asked(question, norm, words)


def _direction_asked(question: str, norm: str, words: tuple[str, ...]) -> Formula | None:
    """A question whether a line item went up or down ("Did it grow its PP&E between FY20 and FY21?",
    "资产总计期末余额与年初相比是增加还是减少？"): the item's change from the prior period, with the verdict
    in the question's own words."""
    if not (_DIRECTION_CHOICE.search(question) or _DIRECTION_YESNO.search(question)):
        return None
    named = _item_named(norm, words)
    if named is None:
        return None
    phrase = max((n for n in _vocabulary().items[named][0] if _names(n, norm, words)), key=len)
    up = next((w for w in _UP_WORDS if w in question), "增加")
    down = next((w for w in _DOWN_WORDS if w in question), "减少")
    if not CJK_CHAR.search(question):
        up, down = "increased", "decreased"
    names, *rest = _item(_vocabulary().items[named])
    # the row the question names first ("net sales" before "total revenue"), then the item's other names
    term = Term(tuple(dict.fromkeys((phrase, *names))), *rest)
    shown = phrase.upper() if len(phrase) <= 4 and phrase.isascii() else phrase   # "ppne" -> "PPNE"
    return Formula(shown, (term,), percent=True, growth=True, names=(), direction=(up, down))


def _sibling_names(spec: dict) -> tuple[str, ...]:
    """The names of every measure computed from the same items as ``spec``'s (return on equity and return
    on average equity): a line stating any of them states the measure asked."""
    same = lambda m: tuple(m.get(k, []) for k in ("plus", "minus", "over"))   # noqa: E731
    return tuple(dict.fromkeys(n for n, m in _vocabulary().measures if same(m) == same(spec)))


def _item_named(norm: str, words: tuple[str, ...]) -> str | None:
    """The line item whose longest name ``norm`` holds."""
    found = [(len(n), key) for key, spec in _vocabulary().items.items() for n in spec[0] if _names(n, norm, words)]
    return max(found)[1] if found else None


def items_in(text: str) -> list[tuple[str, ...]]:
    """The names (every synonym, both languages) of each line item ``text`` names ("所得税费用", "capex")."""
    norm = _norm(text)
    words = _words(norm)
    return [spec[0] for spec in _vocabulary().items.values() if any(_names(n, norm, words) for n in spec[0])]


def names_any(names: tuple[str, ...], text: str) -> bool:
    """Whether ``text`` names a line item by one of its ``names``."""
    norm = _norm(text)
    words = _words(norm)
    return any(_names(n, norm, words) for n in names)


def _item(spec: tuple, sign: int = 1) -> tuple:
    names, statements, excluding, expense = spec
    return names, sign, statements, excluding, expense


def _names(name: str, norm: str, words: tuple[str, ...]) -> bool:
    if CJK_CHAR.search(name):
        return name in norm
    target = _words(name)
    n = len(target)
    return bool(n) and any(words[i:i + n] == target for i in range(len(words) - n + 1))


def states_measure(formula: Formula, text: str) -> bool:
    """Whether ``text`` names the measure itself (a "Gross margin 42.1%" row, "毛利率为35%"): then it is
    quoted, not computed."""
    norm, words = _norm(text), _words(text)
    if formula.direction:
        # a line that names the item and says which way it went ("营业收入、净利润同比有所下降"), not one
        # segment's ("Revenue from All others segment … increased by 7%")
        return (any(_names(n, norm, words) for n in formula.top[0].names) and bool(_CHANGE_STATED.search(norm))
                and not _SEGMENT.search(subject_clause(text)))
    if any(_names(n, norm, words) for n in formula.names or (_norm(formula.name),)):
        return True
    if "%" not in norm:
        return False
    # "Gross profit as a percentage of revenue was 42%", "Revenue increased 12%", "营业收入同比增长12%"
    return bool(_AS_SHARE.search(norm) if not formula.growth else _CHANGE_STATED.search(norm))


def _parse_definition(name: str, expr: str, question: str) -> Formula | None:
    """"total current assets divided by total current liabilities", "(cash from operations - capex)"."""
    expr = _outside_clause(expr).strip().strip("()").strip()
    parts = _DIVIDED.split(expr, maxsplit=1)
    top = _terms(parts[0])
    over = _terms(parts[1]) if len(parts) > 1 else ()
    average = len(parts) > 1 and bool(_AVERAGE.match(parts[1].strip().strip("()")))
    if not top or (len(parts) > 1 and not over) or (len(top) == 1 and not over):
        return None   # one line item alone is no computation
    name = " ".join(_NOT_OF_NAME.sub("", name.strip()).split()[-5:])
    # (a turnover "rate" is a number of times, not a percentage)
    percent = bool(over) and bool((_PERCENT_ASKED.search(name + " " + expr) and not _TIMES.search(name))
                                  or _IN_PERCENT.search(question))
    return Formula(name, top, over, percent, average, True)


def _outside_clause(expr: str) -> str:
    """The expression up to a comma outside parentheses: "interest expense, rounded to one decimal"."""
    depth = 0
    for i, ch in enumerate(expr):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth <= 0 and not expr[i + 1:i + 2].isdigit():
            return expr[:i]
    return expr


def _terms(text: str) -> tuple[Term, ...]:
    out = []
    text = text.strip().strip("()")
    signs = [1] + [-1 if re.search(r"minus|less|-|−", m.group(0)) else 1 for m in _TERM_SPLIT.finditer(text)]
    for sign, part in zip(signs, _TERM_SPLIT.split(text)):
        part = _AVERAGE.sub("", part.strip().strip("()").strip())
        part = _PERIOD_IN_OPERAND.sub(" ", part).strip()
        part = re.sub(r"^(?:the|total\s+amount\s+of)\s+", "", part, flags=re.I)
        if not re.search(r"[A-Za-z\u3400-\u9fff]", part):
            return ()
        out.append(Term(*_item(_line_item(part), sign)))
    return tuple(out)


def _line_item(phrase: str) -> tuple:
    """The names of the line item a definition's operand names ("capex" -> purchases of property and
    equipment, …), else the phrase itself as the row label to look for."""
    p = _norm(phrase)
    # "R&D expense", "SG&A costs": the item's name with a word every expense has
    for q in (p, re.sub(r"\s+(?:expenses?|costs?|amounts?)$", "", p)):
        qw = _words(q)
        for spec in _vocabulary().items.values():
            if any(q == n or (qw and qw == _words(n)) for n in spec[0]):
                return spec
    return (p,), (), (), False


# -- the rows that hold the operands -------------------------------------------------------------------

def _label_fit(names: tuple[str, ...], label: str) -> tuple[int, int] | None:
    """(which name, how many other words) when a row label names the line item, else None. A label that
    names another line item holding the name's words ("Cost of revenue" for revenue) does not."""
    norm = _norm(label)
    zh = _ZH_LABEL_EDGES.sub("", norm.replace(" ", ""))
    for i, name in enumerate(names):
        if _OTHER.match(norm) and not _OTHER.match(name):
            return None   # "Other operating income", 其他收益: a remainder, not the item
        if CJK_CHAR.search(name):
            if zh == name:   # the whole label: 流动资产合计 is not 资产合计
                return i, 0
            continue
        want = set(_words(name))
        if not want or not want <= keyword_token_set(norm):
            continue   # (most labels: the costlier check below is not needed)
        phrase = _words(name)
        toks = _words(norm)
        contiguous = len(phrase) > 1 and any(toks[k:k + len(phrase)] == phrase for k in range(len(toks)))
        # a name of several words, as written, is the item even inside another item's name ("Purchases of
        # property, plant and equipment"); one word inside another item's name is not ("Cost of revenue")
        if contiguous or want <= tokens_outside_other_items(label, _items_named(name)):
            # whom an amount is attributable to ("… attributable to Acme Holdings Corporation") is no other item
            held = re.sub(r"\battributable\s+to\b.*", "", norm)
            extra = {w for w in keyword_tokens(held) if w not in want and w not in TOTAL_WORDS and not w[0].isdigit()}
            if len(extra) <= MAX_EXTRA_WORDS:
                return i, len(extra)
    return None


_OTHER = re.compile(r"^\s*(?:other\b|其他|其它)", re.I)
# a Chinese label's numbering and lead word, and the note after it: "一、营业总收入", "其中：营业收入",
# "五、净利润（净亏损以“－”号填列）"
_ZH_LABEL_EDGES = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、]|其中[:：]|加[:：]|减[:：])+"
                             r"|[(（][^)）]*[)）]$")


@lru_cache(maxsize=512)
def _items_named(name: str) -> frozenset[str]:
    return items_asked(name)


@dataclass(frozen=True)
class _Column:
    label: str      # the period its header names ("2022"), else ""
    value: float    # signed: "(442)" is -442
    text: str       # as printed, less currency signs


# a reference to the notes beside a line item is no column: "Inventories (Notes 1 and 3)", "货币资金 五、1"
_NOTE_REF = re.compile(r"\((?:see\s+)?notes?\s[^)]*\)|(?<=[\u3400-\u9fff\s])[一二三四五六七八九十]+、\s*\d+(?:[（(]\d+[)）])?", re.I)


def _columns(row: Candidate) -> list[_Column]:
    """A row's amounts, each with the year its header dates it by ("" when undated), signed as printed."""
    return list(_columns_of(row.text, row.header_text or ""))


# (a row is read for every operand looked for, and the same rows come back page after page)
@lru_cache(maxsize=4096)
def _columns_of(row_text: str, header: str) -> tuple[_Column, ...]:
    text = _NOTE_REF.sub(lambda m: " " * len(m.group(0)), row_text)
    label_end = len(row_label(text))
    qs = [x for x in extract_quantities(text) if x.start >= label_end and x.unit != "bp"]
    if not qs or any(x.unit == "%" for x in qs):
        return ()   # a row of rates is itself the measure, or not an amount to compute with
    if len(qs) > 1 and re.fullmatch(r"\d{1,2}", qs[0].raw.strip()) and (
            _NOTES_COLUMN.search(header) or len(YEAR_ALONE.findall(header)) == len(qs) - 1):
        qs = qs[1:]   # a column of note numbers ("Notes 7", 附注) before the amounts
    years = _column_years(header, len(qs))
    if not years[0] and _CHANGE_HEADER.search(header):
        return ()   # a column of changes among undated ones ("本报告期 … 比上年同期增减(%)"): which is which is unknown
    out = []
    for x, year in zip(qs, years):
        before = text[:x.start].rstrip().rstrip("$¥").rstrip()
        negative = before.endswith(("(", "-", "−", "–")) or text[x.end:x.end + 1] == ")"
        shown = re.sub(r"[^\d,.]", "", x.raw)
        out.append(_Column(year, -x.mantissa if negative else x.mantissa, f"({shown})" if negative else shown))
    return tuple(out)


def _change_column(row: Candidate, cumulative: bool = False) -> tuple[str, str, str] | None:
    """(header, figure, "+" or "-") of a row's column of changes, in a table with its cells marked
    ("营业收入 | 15,609,410 | 32.5 | …" under "项目 | 本报告期 | 本报告期比上年同期增减变动幅度(%) | …"): the
    first, or with ``cumulative`` the year to date's ("年初至报告期末比上年同期增减变动幅度(%)"); None if none."""
    if "|" not in row.text or "|" not in (row.header_text or ""):
        return None
    cells = [c.strip() for c in row.text.strip().strip("|").split("|")]
    heads = [h.strip() for h in row.header_text.strip().split("\n")[-1].strip().strip("|").split("|")]
    if len(cells) != len(heads):
        return None
    changes = [(h, c) for h, c in zip(heads[1:], cells[1:]) if _CHANGE_HEADER.search(h) and re.search(r"\d", c)]
    if cumulative:
        changes = [(h, c) for h, c in changes if _CUMULATIVE.search(h)]
    if not changes:
        return None
    head, cell = changes[0]
    down = bool(re.match(r"\s*[-−(]|\s*(?:减少|下降|降低)", cell))
    return head, cell, "-" if down else "+"


_CHANGE_HEADER = re.compile(r"增减|变动|比上年|同比|\bchange\b|\bvariance\b|[(（]\s*%\s*[)）]", re.I)
_NOTES_COLUMN = re.compile(r"\bnotes?\b|附注", re.I)


# a 52/53-week fiscal year that ends in the first days of January is the previous year's ("January 1,
# 2023" closes fiscal 2022): its balance sheet's columns pair with its income statement's "2022"
_EARLY_JANUARY = re.compile(r"(\bJan(?:uary|\.)?\s+[1-7],?\s+)((?:19|20)\d{2})(?!\d)", re.I)
# an opening balance dated the first of January is the previous year's closing one ("2025年1月1日", 年初)
_NEW_YEARS_DAY = re.compile(r"(?<!\d)((?:19|20)\d{2})(\s*年\s*0?1\s*月\s*0?1\s*日)")


def _column_years(header: str, n: int) -> list[str]:
    """The years that date a row's ``n`` columns: its header's, when it names as many; else those of the
    header's last line that names years, when it names as many (a title above the column line may name
    years too: "At the end of fiscal years 2022 and 2021 … 2022 2021"); else none."""
    header = _EARLY_JANUARY.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - 1}", header)
    header = _NEW_YEARS_DAY.sub(lambda m: f"{int(m.group(1)) - 1}{m.group(2)}", header)
    years = YEAR_ALONE.findall(header)
    if len(years) != n:
        lines = [YEAR_ALONE.findall(line) for line in header.split("\n")]
        years = next((y for y in reversed(lines) if y), [])
    return years if len(years) == n else [""] * n


def holds_operand(formula: Formula, row: Candidate) -> bool:
    """Whether ``row`` is a line item ``formula`` is computed from (a rate asked for is answered by the
    amounts it is computed from when no line states it)."""
    label = row_label(row.text)
    return any(_label_fit(t.names, label) is not None for t in formula.top + formula.over)


def _find(term: Term, rows: list[Candidate], near: Candidate | None = None,
          parent: bool = False, amounts: bool = True) -> Candidate | None:
    """The row that best names ``term``'s line item: one on a statement it is printed on before one
    elsewhere (an MD&A table may print a percentage column beside it), one on the page of the operand
    found before it (``near``: one statement's figures, not the group's assets over the parent's
    liabilities), a row whose header dates its columns before one whose does not, then the earliest name
    it matches, fewest other words, and the earliest row (the answer's own page's rows come first).
    The parent company's own statements only when the question asks for them (``parent``); a row with
    amounts to compute with unless ``amounts`` is False."""
    best, key = None, None
    for order, r in enumerate(rows):
        if parent_only(r) != parent:
            continue
        label = row_label(r.text)
        fit = _label_fit(term.names, label)
        if fit is None or any(x in _norm(label) for x in term.excluding):
            continue
        cols = _columns(r)
        if amounts and not cols:
            continue
        on = statements_named(r.where)
        if term.statements and on and not on & set(term.statements):
            continue   # another statement's line ("Deferred revenues" on a balance sheet is no revenue)
        away = near is not None and (r.doc_id, r.page) != (near.doc_id, near.page)
        k = (not (on & set(term.statements)), away, not (cols and cols[0].label), fit[0], fit[1], order)
        if key is None or k < key:
            best, key = r, k
    return best


def operand_rows(best: Candidate, cands: list[Candidate], pages: PageTexts) -> list[Candidate]:
    """Rows of the best candidate's document that may hold an operand: its own page's first, then the
    candidates' rows, then the rows of the candidates' other pages (up to SEARCH_PAGES pages)."""
    out = [best] if best.is_row else []
    out += list(page_rows(best.doc, best.rank, pages))
    out += [c for c in cands if c.is_row and c.doc_id == best.doc_id]
    seen = {(best.doc_id, best.page)}
    for c in cands:
        if c.doc_id != best.doc_id or (c.doc_id, c.page) in seen or len(seen) >= SEARCH_PAGES:
            continue
        seen.add((c.doc_id, c.page))
        for r in page_rows(c.doc, c.rank, pages):
            r.features = dict(c.features)
            out.append(r)
    return out


def statement_rows(catalog, pages: PageTexts, doc_id: str, term: Term, rank: int) -> list[Candidate]:
    """The rows of the first STATEMENT_PAGES pages of ``doc_id`` titled as a statement ``term`` is printed
    on (the income statement for revenue when the passages reached only the balance sheet)."""
    if not term.statements or not hasattr(catalog, "pages_titled"):
        return []   # (a catalog without an index of page titles: the passages' pages are all there is)
    titled = lambda _documents: catalog.pages_titled([doc_id], title_phrases(set(term.statements)),   # noqa: E731
                                                     per_doc=STATEMENT_PAGES)
    # (a scan of the document's chunks: kept per catalog state, since question after question asks it again)
    key = f"measures.statement_pages:{doc_id}:{','.join(sorted(term.statements))}"
    ids = catalog.derived(key, titled) if hasattr(catalog, "derived") else titled(None)
    chunks = catalog.chunks_by_ids(ids)
    out: list[Candidate] = []
    for cid in ids:
        r = chunks.get(cid)
        if r is None:
            continue
        d = Document(page_content=r["text"], metadata={
            "chunk_id": cid, "doc_id": r["doc_id"], "page": r["page"] or None, "start": r["start"], "end": r["end"],
            "context": r.get("context") or ""})
        out += page_rows(d, rank, pages)
    return out


# -- the arithmetic ----------------------------------------------------------------------------------

@dataclass
class Computed:
    formula: Formula
    rows: list[Candidate]                          # the operand rows, each once, in the formula's order
    lines: list[tuple[str, str, str]]              # (period, arithmetic on the quoted figures, result)
    read_off: bool = False   # a direction read off the row's own change column: (its header, its figure, sign)

    def text(self, marks: dict[int, int], language: str) -> str:
        """"Current ratio (2020): 5,121.3 / 7,491.5 = 0.68 [1][2]" with the rows' citation numbers."""
        cited = "".join(f"[{n}]" for n in sorted(marks[id(r)] for r in self.rows if id(r) in marks))
        shown = []
        for n, (period, arithmetic, result) in enumerate(self.lines):
            at = f" ({period})" if period else ""
            # the arithmetic of the first period; the earlier periods' results, computed alike, to compare
            shown.append(f"{arithmetic} = {result}{at}" if n == 0 else f"{result}{at}")
        name = self.formula.name
        if self.formula.direction:
            # the verdict first: which way the item went, in the question's words
            name += ("" if language == "zh" else " ") + self.formula.direction[self.lines[0][2].startswith("-")]
            if self.read_off:
                column, figure = self.lines[0][:2]
                if language == "zh":
                    return f"{name}（{column}：{figure}） {cited}".strip()
                return f"{name[:1].upper() + name[1:]} ({column}: {figure}) {cited}".strip()
        if language == "zh":
            return f"{name}（计算）：{'；'.join(shown)} {cited}".strip()
        return f"{name[:1].upper() + name[1:]}, computed: {'; '.join(shown)} {cited}".strip()


def compute(formula: Formula, question: str, years: set[str], trend: bool, rows: list[Candidate],
            more=None, doc_years: set[str] = frozenset(), parent: bool = False) -> Computed | None:
    """The measure over the rows of its operands, in the asked year's column (every shared column, up
    to MAX_COLUMNS, for a ``trend``); None when an operand has no row, no column is common to all, or
    the asked year is not one of them. Columns no header dates are read as the document's own period
    (``doc_years``: a report's 期末/本期 column), the first of them. ``more(term)``, if given, gives
    further rows for an operand none of ``rows`` holds."""
    terms = list(formula.top) + list(formula.over)
    if formula.direction:
        # the row's own change column says which way it went ("本报告期比上年同期增减变动幅度(%) | 32.5")
        cumulative = bool(_CUMULATIVE.search(question))
        changes = {id(r): change for r in rows if (change := _change_column(r, cumulative))}
        row = _find(terms[0], [r for r in rows if id(r) in changes], None, parent, amounts=False)
        if row is not None:
            return Computed(formula, [row], [changes[id(row)]], read_off=True)
    found = []
    for t in terms:
        near = found[0] if found else None
        r = _find(t, rows, near, parent)
        if more is not None and t.statements and (r is None or not statements_named(r.where) & set(t.statements)):
            r = _find(t, rows + list(more(t)), near, parent)   # its statement's row over an MD&A table's
        if r is None:
            return None
        found.append(r)
    if len({id(r) for r in found}) < len(found):
        return None   # two operands read off one row: the question's terms did not name two items
    cols = [_columns(r) for r in found]
    if any(len({x.label for x in c}) < len(c) and c[0].label for c in cols):
        # the years repeat: a quarter's columns, then the year to date's ("Three Months Ended … 2024 2023
        # Nine Months Ended … 2024 2023"); the first block is the period the table leads with
        if _CUMULATIVE.search(question):
            return None
        cols = [_first_block(c) for c in cols]
    if formula.growth:
        return _growth(formula, question, years, trend, doc_years, found[0], cols[0])
    aligned = _aligned(cols, len({(r.doc_id, r.page) for r in found}) == 1)
    aligned = _periods(aligned, years, trend, doc_years)
    decimals = _decimals(question)
    top_n = len(formula.top)
    lines = []
    for period, at in aligned[:MAX_COLUMNS]:
        picked = [(c, i) for c, i in zip(cols, at)]
        value = _evaluate(formula, picked)
        if value is None:
            continue
        shown = _sum_text(formula.top, [c[i] for c, i in picked[:top_n]])
        if formula.over:
            over = _sum_text(formula.over, [c[i] for c, i in picked[top_n:]])
            if formula.average_over:   # the average of the period's and the prior period's balances
                prior = _sum_text(formula.over, [c[_prior(c, i)] for c, i in picked[top_n:]])
                over = f"avg({over}, {prior})"
            shown = f"{_group(shown, top_n)} / {_group(over, len(formula.over))}"
        lines.append((period, shown, _format(value, formula, decimals, cols)))
    if not lines:
        return None
    return Computed(formula, list(dict.fromkeys(found)), lines)


_CUMULATIVE = re.compile(r"\b(?:six|nine|twelve)\s+months\b|\byear[\s-]to[\s-]date\b|\bytd\b|\bH1\b|\b9M\b"
                         r"|前三季度|年初至报告期末|上半年|半年度|累计", re.I)


def _first_block(c: list[_Column]) -> list[_Column]:
    seen, out = set(), []
    for x in c:
        if x.label in seen:
            break
        seen.add(x.label)
        out.append(x)
    return out


def _periods(aligned: list, years: set[str], trend: bool, doc_years: set[str]) -> list:
    """The periods to show, latest first: every one for a trend; else the asked year's (none when it is
    not among them), or, with no year asked, the latest. Undated columns stand for the document's own
    period, latest first as statements print them: an asked year must be the document's."""
    if not aligned:
        return []
    dated = bool(aligned[0][0])
    if dated:
        aligned = sorted(aligned, key=lambda a: a[0], reverse=True)
    if trend:
        return aligned
    if not years:
        return aligned[:1]
    if dated:
        asked = [a for a in aligned if a[0] in years]
        return asked[:1]
    return aligned[:1] if max(years) in doc_years else []


def _prior(c: list[_Column], i: int) -> int | None:
    """The column of the period before column ``i``'s: the year before by the header, else the next
    column (statements print the latest first)."""
    if c[i].label:
        return next((k for k, x in enumerate(c) if x.label == str(int(c[i].label) - 1)), None)
    return i + 1 if i + 1 < len(c) else None


def _growth(formula: Formula, question: str, years: set[str], trend: bool, doc_years: set[str], row: Candidate,
            cols: list[_Column]) -> Computed | None:
    """The change of one row's figure from the prior period's column: the asked year's against the year
    before (the header's years; without them, a column against the next, latest first as statements print)."""
    pairs = [(c.label, i, _prior(cols, i)) for i, c in enumerate(cols) if _prior(cols, i) is not None]
    dated = {c.label: i for i, c in enumerate(cols) if c.label}
    if not trend and len(years & set(dated)) >= 2:
        # "from 2022 to 2024": the later asked year's figure against the earlier one's
        asked = sorted(years & set(dated))
        pairs = [(asked[-1], dated[asked[-1]], dated[asked[0]])]
        trend = True   # (the one pair asked)
    decimals = _decimals(question)
    lines = []
    chosen = _periods([(p, (i, j)) for p, i, j in pairs], years, trend, doc_years)[:MAX_COLUMNS - 1]
    for period, (i, j) in chosen:
        cur, prior = cols[i], cols[j]
        shown = f"{cur.label} vs {prior.label}" if cur.label else ""
        if prior.value <= 0 or cur.value < 0:
            if formula.direction and cur.value != prior.value:
                # which way a loss or a nothing went is still a difference ("(1,234) - (2,345) = 1,111")
                lines.append((shown, f"{cur.text} - {prior.text}", _signed(cur.value - prior.value, cols)))
            continue   # a change from a loss or from nothing is no growth rate
        rate = cur.value / prior.value - 1
        lines.append((shown, f"{cur.text} / {prior.text} - 1", f"{rate * 100:,.{1 if decimals is None else decimals}f}%"))
    return Computed(formula, [row], lines) if lines else None


def _signed(value: float, cols: list[_Column]) -> str:
    shown = max((len(x.text.strip("()").split(".")[1]) if "." in x.text else 0) for x in cols)
    return f"{value:+,.{shown}f}"


def _aligned(cols: list[list[_Column]], one_table: bool) -> list[tuple[str, list[int]]]:
    """The periods every operand row has, each with the column it sits in per row: by the headers'
    years, else by position when the rows have as many columns (named by the years of one of them
    when all come from one page), else none."""
    if all(c[0].label for c in cols):
        years = [y for y in dict.fromkeys(x.label for x in cols[0])
                 if all(any(x.label == y for x in c) for c in cols)]
        return [(y, [next(i for i, x in enumerate(c) if x.label == y) for c in cols]) for y in years]
    if len({len(c) for c in cols}) != 1:
        return []   # columns of tables that do not line up cannot be paired by position
    named = next((c for c in cols if c[0].label), None) if one_table else None
    return [(named[i].label if named else "", [i] * len(cols)) for i in range(len(cols[0]))]


def _evaluate(formula: Formula, picked) -> float | None:
    """The measure from each operand's column; None when a divisor is not positive or an average has no
    prior period. An expense counts by its magnitude however it is printed, a subtracted item too."""
    top_n = len(formula.top)
    top = 0.0
    for t, (c, at) in zip(formula.top, picked[:top_n]):
        v = abs(c[at].value) if t.expense else c[at].value
        top += v if t.sign > 0 else -abs(v)
    if not formula.over:
        return top
    over = 0.0
    for t, (c, at) in zip(formula.over, picked[top_n:]):
        v = abs(c[at].value) if t.expense else c[at].value
        if formula.average_over:
            j = _prior(c, at)
            if j is None:
                return None   # no prior period printed: no average
            v = (v + (abs(c[j].value) if t.expense else c[j].value)) / 2
        over += v if t.sign > 0 else -abs(v)
    if over <= 0:
        return None   # a ratio to a negative or zero base (negative equity) says nothing
    return top / over


def _sum_text(terms, columns: list[_Column]) -> str:
    out = ""
    for i, (t, x) in enumerate(zip(terms, columns)):
        shown = x.text if t.sign > 0 else x.text.strip("()")
        out += shown if i == 0 else (f" + {shown}" if t.sign > 0 else f" - {shown}")
    return out


def _group(text: str, n: int) -> str:
    return f"({text})" if n > 1 else text


def _decimals(question: str) -> int | None:
    m = _ROUND.search(question)
    if m:
        n = m.group("n").lower()
        return int(n) if n.isdigit() else _NUMBER_WORDS[n]
    return None


def _format(value: float, formula: Formula, decimals: int | None, cols) -> str:
    if formula.over and formula.percent:
        return f"{value * 100:,.{1 if decimals is None else decimals}f}%"
    if formula.over:
        return f"{value:,.{2 if decimals is None else decimals}f}"
    # an amount: as many decimals as its operands print
    shown = max((len(x.text.strip("()").split(".")[1]) if "." in x.text else 0) for c in cols for x in c)
    value_text = f"{abs(value):,.{shown if decimals is None else decimals}f}"
    return f"({value_text})" if value < 0 else value_text
