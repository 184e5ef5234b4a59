"""Table headers for chunks cut from the middle of a financial table.

Statements extracted from PDFs (and Markdown/HTML tables) arrive as lines of
numbers: ``Net revenue $ 11,715 $ 18,353``. A chunk that starts below the
table's header no longer says which column is which period or what the unit
is. This module finds, for each line of a page, the header of the table the
line belongs to: the lines above the first data row that name periods, dates
or units ("Three Months Ended", "(In Millions, Except Per Share Amounts) Apr 1,
2023 Apr 2, 2022", "2023 | 2024", "单位：千元 币种：人民币"), plus the table's
title line right above them. Chunking stores that header as the chunk's
``context``: embedded and keyword-indexed with the chunk and shown to the
answerer, while the chunk's own text stays a verbatim span of the page.

Rows are lines, and chunks are cut at line ends, so a row is never split.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

MAX_HEADER_CHARS = 320

_DATEISH = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d{2}\b"
    r"|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*-\s*\d{1,2}\s*月"
    r"|(?:19|20)\d{2}\s*年(?:\s*第?[一二三四1-4]\s*季度|度|末|初)?"
    r"|\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b|\bQ[1-4]\s*'?(?:19|20)?\d{2}\b|\b(?:FY)?(?:19|20)\d{2}\s*[-]?\s*Q[1-4]\b"
    r"|\bFY\s*'?\d{2,4}\b|(?<![\d,.])(?:19|20)\d{2}(?![\d,.%])"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b,?"
    r"|\b\d+[\s-]+(?:weeks?|months?)\b|\b(?:twelve|thirteen|three|six|nine)\s+(?:weeks?|months?)\b",
    re.I)
_FOOTNOTE = re.compile(r"\(\d{1,2}\)")
_MARKER = re.compile(
    r"\b(?:in|dollars in|amounts in|expressed in)\s+(?:millions|thousands|billions)\b|\((?:\$|US\$|RMB|HK\$)?\s?(?:millions?|thousands?|billions?|B|M|000s?)\)"
    r"|\bended\b|\bending\b|\bas of\b|\bas at\b|\bweeks\b|\bmonths\b|\bquarters?\b|\byoy\b|%\s*change|\bchange\b"
    r"|\bRMB\b|\bUS\$|\bHK\$|\bGAAP\b|单位|币种|以百万计|以千计|百万元|千元|万元|亿元|人民币|美元|港元|同比|增减|变动|本报告期|上年同期|年初至|期末|期初|本期|上期|截至|日止|止[一二三六九十]|年度",
    re.I)
_NUMCELL = re.compile(r"[(\-−–]?(?:US\$|HK\$|RMB|\$|¥|￥)?\(?[-−]?\d[\d,]*(?:\.\d+)?\)?%?(?:\(\d\))*[*]?|[—–-]{1,2}|n/?m\d?|N/A", re.I)
_SENTENCE_END = re.compile(r"[.。!?！？;；]\s*$")


@dataclass(frozen=True)
class Header:
    text: str
    start: int   # offset of the header's first line in the page text


def _cells(line: str) -> list[str]:
    if "|" in line:
        return [c.strip() for c in line.strip().strip("|").split("|") if c.strip()]
    return line.split()


def _numeric_cells(line: str) -> tuple[int, int, bool]:
    """(numeric cells, all cells, last cell numeric) after dates/years/periods are removed."""
    stripped = _DATEISH.sub(" ", _FOOTNOTE.sub("", line))
    cells = _cells(stripped)
    if not cells:
        return 0, 0, False
    nums = [c for c in cells if _NUMCELL.fullmatch(c.strip("$ "))]
    return len(nums), len(cells), bool(_NUMCELL.fullmatch(cells[-1].strip("$ ")))


_DAY_OF_DATE = re.compile(r"^(?:[1-9]|[12]\d|3[01]),$")


# a line of figures alone, no label: "(957) (2,692) (64.5%)", "$ 1,234 $ 1,100"
_FIGURE_CELL = r"[-–−(]?\s?[$¥]?\s?\(?\d[\d,.]*%?\)?%?"
_FIGURES_ONLY = re.compile(rf"^\s*{_FIGURE_CELL}(?:\s+{_FIGURE_CELL}|\s+[-–—])*\s*$")

# the text layer runs a statement's footnote onto its last row ("Total liabilities and stockholders’ equity
# $ 27,165 $ 27,241 See accompanying Notes to Consolidated Financial Statements."): a sentence of words
# without figures after the row's last figure
_NOTE_AFTER_ROW = re.compile(r"(?<=\d|\))\s+[A-Z][a-z]+(?:[\s,’'-]+[A-Za-z]+){2,}[.:]$")


@lru_cache(maxsize=1 << 16)   # (a page's lines are read for its headers and its parts, and pages recur across questions)
def classify(line: str) -> str:
    """'blank', 'header', 'data', 'label' or 'prose' for one line of a page."""
    s = line.strip()
    if not s:
        return "blank"
    tail = _NOTE_AFTER_ROW.search(s) if s[-1:] in ".:" else None
    if tail and classify(s[: tail.start()]) == "data":
        return "data"   # a statement's last row with the page's footnote run onto its line
    words = len(s.split())
    n_num, n_cells, last_num = _numeric_cells(s)
    had_period = bool(_DATEISH.search(s))
    ends_sentence = bool(_SENTENCE_END.search(s)) and (words >= 8 or len(s) > 40)
    # a Chinese clause has no spaces to count as words: its full-width stop, semicolon or mark ends it
    # ("2024年，本集团实现营业收入1,466.95亿元，同比下降10.9%；" is a sentence, not a header of periods)
    if "。" in s or s.endswith(("；", "！", "？")) or (ends_sentence and not (n_num and last_num and words < 8)):
        return "prose"
    # so do clauses parted by a full-width comma in a long line a layout broke before its stop ("…预案：拟以本行
    # 2024年12月31日的总股本…为基数，2024年全年以每10股派发现金股利人民币6.08元"): no header of periods reads so
    if "|" not in s and len(s) > 30 and len(re.sub(r"[（(][^）)]*[）)]", "", s).split("，")) >= 3:
        return "prose"
    if _DAY_OF_DATE.match(s):
        return "header"   # "December" / "31," / "2022": the day of a column's date the PDF wrapped, no figure
    if n_num:
        if last_num or (n_cells and n_num / n_cells >= 0.3 and n_num >= 2):
            return "data"
        if "|" in s or (n_num >= 3 and not ends_sentence):
            return "data"   # a pipe row, or several rows run together by the PDF extractor
    if n_num == 0 and len(s) <= 220:
        if had_period or _MARKER.search(s):
            return "header"
        if "|" in s and n_cells >= 2:
            return "header"   # a Markdown column-heading row
    if len(s) <= 80 and not ends_sentence:
        return "label"
    return "prose"


def line_headers(text: str, title_lines: int = 1) -> tuple[list[int], list[Header | None]]:
    """Line start offsets of ``text`` and, per line, the header of the table it is in (or None); with
    ``title_lines`` 2, the header starts with a title and its subtitle ("COMPARABLE SALES" over
    "Increase/(Decrease)") where both are right above it."""
    starts: list[int] = []
    headers: list[Header | None] = []
    pending: list[tuple[int, int]] = []     # header lines since the last data row
    labels: list[tuple[int, int]] = []      # label lines after pending header lines (kept if more header follows)
    title: tuple[int, int] | None = None    # a label line just before the header
    title_adjacent = False
    active: Header | None = None
    in_table = False
    last = "blank"
    pos = 0
    for line in text.split("\n"):
        a, b = pos, pos + len(line)
        pos = b + 1
        starts.append(a)
        kind = classify(line)
        own = None
        if kind == "blank":
            headers.append(None)
            continue
        if kind == "header":
            if last == "data":
                pending = []
            if not pending:
                title_adjacent = title is not None and last == "label"
            pending += labels
            labels = []
            pending.append((a, b))
        elif kind == "data":
            if pending and in_table and active is not None and _FIGURES_ONLY.match(line) \
                    and not any(_DATEISH.search(text[x:y]) for x, y in pending):
                # a row whose label wrapped over lines above its figures ("以公允价值计量且其变动 / 计入其他综合收益的发
                # / 放贷款和垫款减值准备 / (957) (2,692) (64.5%)"): the lines are its label, the table's columns stay
                pending, labels, title = [], [], None
            if pending:
                if in_table and active is not None and not any(_DATEISH.search(text[x:y]) for x, y in pending):
                    # "Shares used in calculation (000s):" inside a statement: same columns, new unit
                    extra = "\n".join(text[x:y].strip() for x, y in pending)
                    active = Header((active.text + "\n" + extra)[-MAX_HEADER_CHARS:], active.start)
                else:
                    active = _make_header(text, ([title] if title and title_adjacent else []) + pending)
                pending, labels, title = [], [], None
            in_table = True
            own = active
        elif kind == "label":
            if pending:
                labels.append((a, b))
            elif (title is not None and last == "label" and text.count("\n", title[0], title[1]) < title_lines - 1
                  and not re.search(r"[:：]", text[title[0]:title[1]])):
                # a title and its subtitle ("COMPARABLE SALES" / "Increase/(Decrease)"); a "name: value"
                # line (a page's signatures, "法定代表人：…") titles nothing
                title = (title[0], b)
            else:
                title = (a, b)
            if in_table:
                own = active
        else:  # prose ends any table
            in_table, active, pending, labels, title = False, None, [], [], None
        headers.append(own)
        last = kind
    return starts, headers


def _make_header(text: str, spans: list[tuple[int, int]]) -> Header:
    lines = [text[a:b].strip() for a, b in spans]
    # keep the lines nearest the data when the header is long (the title goes first)
    while len(lines) > 1 and sum(len(x) + 1 for x in lines) > MAX_HEADER_CHARS:
        lines.pop(0)
        spans = spans[1:]
    joined = "\n".join(lines)
    if len(joined) > MAX_HEADER_CHARS:
        joined = joined[-MAX_HEADER_CHARS:]
    return Header(joined, spans[0][0])


class TableContext:
    """Looks up the table header for a chunk starting at an offset of one page's text."""

    def __init__(self, text: str):
        self.starts, self.headers = line_headers(text)

    def for_span(self, start: int) -> str:
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0:
            return ""
        h = self.headers[i]
        if h is None or h.start >= start:
            return ""  # not in a table, or the header is inside the chunk already
        return h.text


# A statement's rows fall into parts: "Current assets:", "Liabilities and stockholders' equity Current
# liabilities:", "Changes in assets and liabilities:", "非流动负债：". A row's label is read within its part:
# "Inventories 231 (1,147)" under "Changes in assets and liabilities:" is a change, not the inventories held,
# and the rows after "Total current liabilities" are the long-term ones, whether or not a line says so
# ("Debt 48,836 37,684" below it is long-term debt). A subtotal with no label of its own ("12,993 13,224"
# under "Inventories" / "Raw materials 1,358 1,517" / "Work in process 7,415 7,565" / …) is named by the
# label line of the group of rows it sums.
_PART_OPENS = re.compile(r"[:：]\s*$")
_CURRENT_TOTAL = re.compile(r"^total current (?:assets|liabilities)\b", re.I)
_CLOSES_PART = re.compile(r"^(?:total\b|net cash\b)", re.I)
_NET_CASH = re.compile(r"^net cash\b", re.I)
_BULLET = re.compile(r"^[•▪●◦*\-–]")   # a list's lead-in ends in a colon too, and its items are no table's rows
_LAST_FIGURE = re.compile(r"[\d)%]\s+(?=[^\d]*$)")
NON_CURRENT_PART = "Long-term:"   # (not "non-current": its word "current" would name the other part)
MIN_GROUP_ROWS = 2      # labelled rows a subtotal with no label must follow to be named by their group
MAX_GROUP_LINES = 12    # lines from a group's label line to its subtotal


@dataclass(frozen=True)
class Place:
    part: str                          # the part of its table a line is in ("" for none)
    group: tuple[int, int] | None      # for a subtotal with no label, the span of its group's label line


@lru_cache(maxsize=1024)
def places(text: str) -> tuple[list[int], list[Place]]:
    """Line start offsets of page ``text`` and, per line, its ``Place``, in one pass down the page. A part
    is opened by a line ending in a colon (not a list's bullet), by a total of current items (the long-term
    part, ``NON_CURRENT_PART``), and closed by another total, the table's header or prose; a statement's
    net cash line sums a whole activity and is in no part."""
    starts: list[int] = []
    out: list[Place] = []
    part = ""
    group: tuple[int, int] | None = None   # the label line of the rows below it
    group_rows, group_min, group_lines = 0, 0, 0
    pos = 0
    for line in text.split("\n"):
        a, pos = pos, pos + len(line) + 1
        starts.append(a)
        s = line.strip()
        if not s:
            out.append(Place(part, None))
            continue
        kind = classify(s)
        n_num, n_cells, _ = _numeric_cells(s) if kind == "data" else (0, 0, False)
        group_lines += 1
        subtotal = (kind == "data" and n_num >= 2 and n_num == n_cells and group is not None
                    and group_rows >= MIN_GROUP_ROWS and group_min >= n_num and group_lines <= MAX_GROUP_LINES)
        out.append(Place("" if _NET_CASH.match(s) else part, group if subtotal else None))
        # what this line says of the lines below it
        if kind == "data" and 0 < n_num < n_cells and group is not None:
            group_rows, group_min = group_rows + 1, min(group_min, n_num) if group_rows else n_num
        elif kind == "label" and not _PART_OPENS.search(s):
            b = a + line.index(s)
            group, group_rows, group_min, group_lines = (b, b + len(s)), 0, 0, 0
        else:
            group = None
        if kind != "prose" and _PART_OPENS.search(s) and not _BULLET.match(s):
            # (also a line the text layer ran on into the part's opening: "… $ 1,677.8 Cash flow from changes in
            # current assets and liabilities:" opens a part with its words after the last figure)
            part = _LAST_FIGURE.split(s)[-1].strip()
        elif _CURRENT_TOTAL.match(s):
            part = NON_CURRENT_PART
        elif _CLOSES_PART.match(s) or kind in ("prose", "header"):
            part = ""   # a total closes the part it sums ("Total assets", "Net cash provided by …")
    return starts, out


def place_at(text: str, offset: int) -> Place:
    """The ``Place`` of the line of ``text`` holding ``offset``."""
    starts, found = places(text)
    return found[bisect.bisect_right(starts, offset) - 1]
