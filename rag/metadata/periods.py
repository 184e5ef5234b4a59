"""Periods and dates, in documents and questions alike.

``find_periods`` reads the periods a text names (Q1 2023, 2023Q1, first quarter 2023, FY2025,
2025财年, 2024年第三季度, 2025财务年度中期报告 …); ``find_dates`` reads full dates and whether they
end a span ("three months ended June 30, 2023", "截至2025年3月31日止年度"). Stored period labels
(``2023Q1``, ``FY2025``, ``FY2025H1``, ``FY2022H1-FY2024H1``) are read back with
``parse_period_label``. The words come from ``rag/data/periods.toml``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ..patterns import YEAR4, month_number, month_pattern
from ..vocabulary import phrase_pattern, vocabulary

QUARTER_ENDS = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


@dataclass(frozen=True)
class Period:
    """A reporting period: ``year`` with ``part`` None (a whole year), Q1..Q4, H1, H2 or 9M.

    ``fiscal`` says the text called it a fiscal period (FY2025, 2025财年); ``bare``
    marks a year mentioned on its own ("in 2024"), which is weaker evidence than
    "fiscal year 2024" or "2024年全年".
    """
    year: int
    part: str | None = None
    fiscal: bool = False
    bare: bool = False

    def label(self) -> str:
        if self.part is None:
            return f"FY{self.year}" if not self.bare else str(self.year)
        return f"{'FY' if self.fiscal else ''}{self.year}{self.part}"


@dataclass(frozen=True)
class DateMention:
    """A calendar date, maybe the end of a span ('quarter ended …' -> span 'Q')."""
    value: date
    span: str | None = None   # Q, H, 9M, FY, or None for a point in time ("as of", "截至")
    ended: bool = False       # phrased as the end of a period ("ended", "止")

    def iso(self) -> str:
        return self.value.isoformat()


def _year(s: str) -> int:
    y = int(s)
    return 2000 + y if y < 100 else y


def _alt(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


@functools.lru_cache(maxsize=1)
def _ordinals() -> dict[str, int]:
    return {str(k).lower(): int(v) for k, v in vocabulary("periods")["ordinals"].items()}


@functools.lru_cache(maxsize=1)
def _period_patterns() -> list[tuple[re.Pattern, str]]:
    v = vocabulary("periods")
    fy_zh = _alt(v["fiscal"]["zh"])
    parts = v["parts_zh"]
    ordw = r"(first|second|third|fourth|1st|2nd|3rd|4th)"
    fyword = r"(?:fiscal(?:\s+year)?|FY)"
    return [
        # "Third Quarter and Year-to-Date Operating Results for Fiscal 2023"
        (re.compile(r"\b" + ordw + r"[\s-]+quarter\b(?:(?!(?:19|20)\d{2})[^\n.;]){0,70}?"
                    r"\b" + fyword + r"[\s-]*'?" + YEAR4, re.I), "q_ord_fy"),
        # "Fourth Quarter and Full Year 2022": the quarter is the last one of that year
        (re.compile(r"\b" + ordw + r"[\s-]+quarter\s+and\s+(?:the\s+)?(?:full[\s-]+)?year\s*'?" + YEAR4, re.I), "q_ord"),
        (re.compile(r"\b" + ordw + r"[\s-]+quarter(?:\s+of)?(?:\s+the)?(?:\s+calendar)?(?:\s+year)?[\s,]*'?" + YEAR4, re.I),
         "q_ord"),
        # "2022 Fourth-Quarter reported sales"
        (re.compile(YEAR4 + r"[\s-]+" + ordw + r"[\s-]+quarter\b", re.I), "y_q_ord"),
        (re.compile(r"\b(first|second)[\s-]+half(?:\s+of)?(?:\s+(fiscal(?:\s+year)?|FY))?[\s,]*'?" + YEAR4, re.I), "h_ord"),
        (re.compile(r"\bQ([1-4])\s*(?:of\s+)?[\s'’-]*(" + fyword + r")?\s*'?((?:19|20)?\d{2})(?!\d)", re.I), "q_pre"),
        (re.compile(r"(?<![A-Za-z0-9])(FY|F)?\s*'?((?:19|20)\d{2}|(?<=FY)\d{2}|(?<=FY )\d{2})\s*[-/ ]?\s*Q([1-4])\b", re.I),
         "q_post"),
        (re.compile(r"(?<![A-Za-z0-9])(FY)?\s*((?:19|20)\d{2})\s*[-/ ]?\s*H([12])\b", re.I), "h_post"),
        (re.compile(r"\bH([12])\s*[\s'’-]*(FY)?\s*'?((?:19|20)?\d{2})(?!\d)", re.I), "h_pre"),
        (re.compile(r"(?<![A-Za-z0-9])([1-4])Q\s*'?((?:19|20)?\d{2})(?!\d)"), "q_num"),
        (re.compile(r"(?<![A-Za-z0-9])([12])H\s*'?((?:19|20)?\d{2})(?!\d)"), "h_num"),
        (re.compile(r"(?<![A-Za-z0-9])FY\s*'?((?:19|20)\d{2}|\d{2})(?!\d)", re.I), "fy"),
        (re.compile(r"\bfiscal(?:\s+year)?\s+" + YEAR4 + r"(?!\d)", re.I), "fy"),
        (re.compile(YEAR4 + r"\s+fiscal\s+year\b", re.I), "fy"),
        (re.compile(r"\bfull[\s-]+year(?:\s+of)?\s+" + YEAR4 + r"(?!\d)|" + YEAR4 + r"\s+full[\s-]+year\b", re.I), "fy_full"),
        # Chinese
        (re.compile(YEAR4 + r"\s*年?\s*" + fy_zh + r"\s*(?:第\s*)?([一二三四1-4])\s*季度"), "zh_fy_q"),
        (re.compile(YEAR4 + r"\s*年?\s*" + fy_zh + r"\s*(?:的)?\s*" + _alt(parts["H1"])), "zh_fy_h1"),
        (re.compile(YEAR4 + r"\s*" + fy_zh), "zh_fy"),
        (re.compile(YEAR4 + r"\s*年\s*(?:第\s*)?([一二三四1-4])\s*" + _alt(parts["quarter"])), "zh_q"),
        (re.compile(YEAR4 + r"\s*年?\s*Q([1-4])\b", re.I), "zh_q"),
        (re.compile(YEAR4 + r"\s*年\s*" + _alt(parts["9M"])), "zh_9m"),
        (re.compile(YEAR4 + r"\s*年\s*" + _alt(parts["H1"])), "zh_h1"),
        (re.compile(YEAR4 + r"\s*年\s*" + _alt(parts["H2"])), "zh_h2"),
        (re.compile(YEAR4 + r"\s*年\s*" + _alt(parts["FY"])), "zh_fy_full"),
    ]


_BARE_YEAR = re.compile(r"(?<![\d.,/$-])" + YEAR4 + r"(?!\s*年\s*\d{1,2}\s*月)(?![\d.,%])")


def find_periods(text: str, with_bare_years: bool = True) -> list[tuple[Period, tuple[int, int]]]:
    """Periods named in ``text`` with their spans, in order; overlapping forms are read once."""
    text = unicodedata.normalize("NFKC", text or "")
    found: list[tuple[Period, tuple[int, int]]] = []
    taken: list[tuple[int, int]] = []

    def free(a, b):
        return all(b <= x or a >= y for x, y in taken)

    for rx, kind in _period_patterns():
        for m in rx.finditer(text):
            if not free(*m.span()):
                continue
            p = _period_from(kind, m)
            if p is None:
                continue
            found.append((p, m.span()))
            taken.append(m.span())
    # dates ("quarter ended June 30, 2023") consume their years
    for _, span in find_dates(text):
        taken.append(span)
    if with_bare_years:
        for m in _BARE_YEAR.finditer(text):
            if free(*m.span()):
                found.append((Period(int(m.group(1)), None, bare=True), m.span()))
                taken.append(m.span())
    found.sort(key=lambda t: t[1][0])
    return found


def _period_from(kind: str, m: re.Match) -> Period | None:
    g = m.groups()
    ords = _ordinals()
    try:
        if kind == "q_ord_fy":
            return Period(_year(g[1]), f"Q{ords[g[0].lower()]}", fiscal=True)
        if kind == "q_ord":
            return Period(_year(g[1]), f"Q{ords[g[0].lower()]}")
        if kind == "y_q_ord":
            return Period(_year(g[0]), f"Q{ords[g[1].lower()]}")
        if kind == "h_ord":
            return Period(_year(g[2]), f"H{ords[g[0].lower()]}", fiscal=bool(g[1]))
        if kind == "q_pre":
            y = g[2]
            if len(y) == 2 and not g[1] and not re.search(r"['’]", m.group(0)):
                return None  # "Q1 23" is too loose
            return Period(_year(y), f"Q{g[0]}", fiscal=bool(g[1]))
        if kind == "q_post":
            y = g[1]
            if len(y) == 2 and not g[0]:
                return None
            return Period(_year(y), f"Q{g[2]}", fiscal=bool(g[0]))
        if kind == "h_post":
            return Period(_year(g[1]), f"H{g[2]}", fiscal=bool(g[0]))
        if kind == "h_pre":
            return Period(_year(g[2]), f"H{g[0]}", fiscal=bool(g[1]))
        if kind == "q_num":
            return Period(_year(g[1]), f"Q{g[0]}")
        if kind == "h_num":
            return Period(_year(g[1]), f"H{g[0]}")
        if kind == "fy":
            return Period(_year(g[0]), None, fiscal=True)
        if kind == "fy_full":
            return Period(_year(g[0] or g[1]), None)
        if kind == "zh_fy_q":
            return Period(_year(g[0]), f"Q{ords[g[1]]}", fiscal=True)
        if kind == "zh_fy_h1":
            return Period(_year(g[0]), "H1", fiscal=True)
        if kind == "zh_fy":
            return Period(_year(g[0]), None, fiscal=True)
        if kind == "zh_q":
            return Period(_year(g[0]), f"Q{ords[g[1]]}")
        if kind == "zh_9m":
            return Period(_year(g[0]), "9M")
        if kind == "zh_h1":
            return Period(_year(g[0]), "H1")
        if kind == "zh_h2":
            return Period(_year(g[0]), "H2")
        if kind == "zh_fy_full":
            return Period(_year(g[0]), None)
    except (KeyError, ValueError, TypeError):
        return None
    return None


@functools.lru_cache(maxsize=1)
def _date_patterns() -> list[tuple[re.Pattern, str]]:
    month = month_pattern()
    return [
        (re.compile(r"\b" + month + r"\s+(\d{1,2}),?\s+" + YEAR4 + r"(?!\d)", re.I), "mdy"),
        (re.compile(r"\b(\d{1,2})\s+" + month + r",?\s+" + YEAR4 + r"(?!\d)", re.I), "dmy"),
        (re.compile(YEAR4 + r"\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "ymd"),
        (re.compile(r"(?<![\d/])" + YEAR4 + r"-(\d{2})-(\d{2})(?!\d)"), "ymd"),
        (re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})/" + YEAR4 + r"(?![\d/])"), "m/d/y"),
    ]


@functools.lru_cache(maxsize=1)
def _span_words() -> list[tuple[re.Pattern, str]]:
    spans = vocabulary("periods")["spans"]
    return [(re.compile("|".join(phrase_pattern(w) for w in spans[s]), re.I), s) for s in ("Q", "H", "9M", "FY")]


def find_dates(text: str) -> list[tuple[DateMention, tuple[int, int]]]:
    """Full dates in ``text`` (English, Chinese, ISO, M/D/Y), each with the span it ends, if said."""
    text = unicodedata.normalize("NFKC", text or "")
    out = []
    taken: list[tuple[int, int]] = []
    for rx, kind in _date_patterns():
        for m in rx.finditer(text):
            a, b = m.span()
            if any(not (b <= x or a >= y) for x, y in taken):
                continue
            g = m.groups()
            try:
                if kind == "mdy":
                    d = date(int(g[2]), month_number(g[0]) or 0, int(g[1]))
                elif kind == "dmy":
                    d = date(int(g[2]), month_number(g[1]) or 0, int(g[0]))
                elif kind == "ymd":
                    d = date(int(g[0]), int(g[1]), int(g[2]))
                else:
                    d = date(int(g[2]), int(g[0]), int(g[1]))
            except ValueError:
                continue
            taken.append((a, b))
            out.append((_date_mention(text, a, b, d), (a, b)))
    out.sort(key=lambda t: t[1][0])
    return out


_ENDED_GAP = re.compile(r"\b(?:ended|ending)\b((?:(?!\.\s|(?:19|20)\d{2})[^\n]|\n(?!\n)){0,90})$", re.I)


def _date_mention(text: str, a: int, b: int, d: date) -> DateMention:
    before = text[max(0, a - 120): a]
    after = text[b: b + 12]
    # "quarter ended June 30, 2023"; also a table header "Three Months Ended\n(In Millions) Apr 1, 2023"
    ended = bool(_ENDED_GAP.search(before)) or \
        bool(re.match(r"\s*(止|为止|止年度|止六个月|止三个月|止九个月)", after))
    span = None
    if re.match(r"\s*止", after):
        for rx, s in _span_words():
            if rx.search(after[:8]):
                span = s
                break
    if span is None and ended:
        m = re.search(r"(\S+[\s-]+\S+|\S+)\s+(?:ended|ending)\b[^.;\n]{0,30}$", before, re.I)
        probe = before[-48:] if m is None else m.group(0)
        for rx, s in _span_words():
            if rx.search(probe):
                span = s
                break
    return DateMention(d, span, ended)


def parse_period_label(label: str) -> list[Period]:
    """A stored period ('2023Q1', 'FY2025H1', 'FY2022H1-FY2024H1', 'Q1 2023', '2024年第三季度') -> Periods."""
    label = (label or "").strip()
    if not label:
        return []
    m = re.fullmatch(r"(FY)?\s*(\d{4})\s*(Q[1-4]|H[12]|9M)?\s*(?:-|–|to|~|至)\s*(FY)?\s*(\d{4})\s*(Q[1-4]|H[12]|9M)?",
                     label, re.I)
    if m and int(m.group(2)) <= int(m.group(5)) and int(m.group(5)) - int(m.group(2)) <= 30:
        part = (m.group(3) or m.group(6) or "").upper() or None
        fiscal = bool(m.group(1) or m.group(4))
        return [Period(y, part, fiscal) for y in range(int(m.group(2)), int(m.group(5)) + 1)]
    m = re.fullmatch(r"(FY)?\s*(\d{4})\s*(Q[1-4]|H[12]|9M)?", label, re.I)
    if m:
        return [Period(int(m.group(2)), (m.group(3) or "").upper() or None, fiscal=bool(m.group(1)))]
    return [p for p, _ in find_periods(label)]


def period_label(periods: list[Period]) -> str:
    """The stored label of one period or of the same part over several years."""
    if len(periods) > 1:
        return f"{periods[0].label()}-{periods[-1].label()}"
    return periods[0].label() if periods else ""


def period_ends(periods: list[Period], period_end: str) -> list[date]:
    """End dates of ``periods``: ``period_end`` is the latest one's; earlier years shift it back."""
    end = parse_iso_date(period_end)
    if end is None or not periods:
        return [end] if end else []
    latest = max(p.year for p in periods)
    out = []
    for p in periods:
        try:
            out.append(end.replace(year=end.year - (latest - p.year)))
        except ValueError:  # Feb 29
            out.append(end.replace(year=end.year - (latest - p.year), day=28))
    return out


def parse_iso_date(s: str) -> date | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", (s or "").strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def normalize_period(value: str) -> str:
    """User input -> stored label: 'Q1 2023' -> '2023Q1', 'fiscal 2025' -> 'FY2025', ranges kept."""
    ps = parse_period_label(value)
    if not ps:
        return ""
    if len(ps) > 1 and len({p.part for p in ps}) == 1:
        return f"{ps[0].label()}-{ps[-1].label()}"
    p = ps[0]
    return p.label() if not p.bare else f"FY{p.year}"


def normalize_date(value: str) -> str:
    """'2023-04-27', '2023-04', '2023', 'April 27, 2023', '2023年4月27日' -> ISO (as precise as given)."""
    v = (value or "").strip()
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v):
        return v
    ds = find_dates(v)
    if ds:
        return ds[0][0].iso()
    m = re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月", v)
    if m:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    return ""


def calendar_end(p: Period) -> date | None:
    """The last day of ``p`` read as a calendar period (mainland Chinese reports use calendar years)."""
    if p.part is None:
        return date(p.year, 12, 31)
    if p.part.startswith("Q"):
        m, d = QUARTER_ENDS[int(p.part[1])]
        return date(p.year, m, d)
    return {"H1": date(p.year, 6, 30), "H2": date(p.year, 12, 31), "9M": date(p.year, 9, 30)}.get(p.part)


def span_of(p: Period) -> str:
    """The span word of a period: FY, Q, H or 9M."""
    if p.part is None:
        return "FY"
    if p.part.startswith("Q"):
        return "Q"
    if p.part.startswith("H"):
        return "H"
    return p.part

