"""Document metadata: who issued it, what kind it is, which period it covers.

A manifest entry gives these fields outright. Without one (or for fields it
leaves empty) they are inferred from the file name and the document itself:
the cover or title lines ("Intel Reports First-Quarter 2023 Financial Results",
"Fiscal Year 2024 Interim Report", "中芯国际…2024年第三季度报告"), listing codes
("(Nasdaq: COST)", "NYSE: BABA", "证券代码：688981"), "… months ended <date>"
phrases, the press-release dateline, and a small table of well-known issuers
that adds the other language's name and tickers (阿里巴巴/Alibaba/BABA/9988).

Every inferred field is recorded with its evidence in ``meta["inferred"]`` so
the user sees what was guessed (``rag sources --json``) and can correct it
(``rag tag DOC key=value``).

The period and date parsers here are shared with question scoping
(``rag.scoping``): documents and questions are read with the same rules.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# ---------------------------------------------------------------------------
# Well-known issuers: canonical (English) name, Chinese name, tickers, aliases.
# Only used to add what the document itself does not say (the other language's
# name, other listings); inference works from text patterns without it.


@dataclass(frozen=True)
class KnownIssuer:
    name: str
    zh: str
    tickers: tuple[str, ...]
    aliases: tuple[str, ...]

    def names(self) -> tuple[str, ...]:
        return (self.name, self.zh) + self.aliases


KNOWN_ISSUERS: tuple[KnownIssuer, ...] = (
    KnownIssuer("Alibaba Group Holding Limited", "阿里巴巴集团控股有限公司", ("BABA", "9988"),
                ("Alibaba", "Alibaba Group", "阿里巴巴", "阿里巴巴集团", "阿里", "阿里巴巴集團控股有限公司")),
    KnownIssuer("Intel Corporation", "英特尔公司", ("INTC",), ("Intel", "英特尔")),
    KnownIssuer("eBay Inc.", "易贝", ("EBAY",), ("eBay", "亿贝")),
    KnownIssuer("McDonald's Corporation", "麦当劳公司", ("MCD",), ("McDonald's", "McDonalds", "麦当劳")),
    KnownIssuer("Costco Wholesale Corporation", "好市多", ("COST",), ("Costco", "开市客", "Costco Wholesale")),
    KnownIssuer("Ping An Bank Co., Ltd.", "平安银行股份有限公司", ("000001",), ("Ping An Bank", "平安银行", "PAB")),
    KnownIssuer("Semiconductor Manufacturing International Corporation", "中芯国际集成电路制造有限公司",
                ("688981", "0981"), ("SMIC", "中芯国际", "中芯")),
    KnownIssuer("Tencent Holdings Limited", "腾讯控股有限公司", ("0700", "TCEHY"), ("Tencent", "腾讯", "腾讯控股")),
    KnownIssuer("Baidu, Inc.", "百度", ("BIDU", "9888"), ("Baidu", "百度集团")),
    KnownIssuer("JD.com, Inc.", "京东集团", ("JD", "9618"), ("JD.com", "京东")),
    KnownIssuer("PDD Holdings Inc.", "拼多多", ("PDD",), ("PDD", "Pinduoduo", "Temu")),
    KnownIssuer("NetEase, Inc.", "网易", ("NTES", "9999"), ("NetEase",)),
    KnownIssuer("Meituan", "美团", ("3690",), ("Meituan", "美团点评")),
    KnownIssuer("Xiaomi Corporation", "小米集团", ("1810",), ("Xiaomi", "小米")),
    KnownIssuer("BYD Company Limited", "比亚迪股份有限公司", ("002594", "1211"), ("BYD", "比亚迪")),
    KnownIssuer("Kweichow Moutai Co., Ltd.", "贵州茅台酒股份有限公司", ("600519",), ("Kweichow Moutai", "Moutai", "贵州茅台", "茅台")),
    KnownIssuer("Ping An Insurance (Group) Company of China, Ltd.", "中国平安保险(集团)股份有限公司",
                ("601318", "2318"), ("Ping An Insurance", "中国平安")),
    KnownIssuer("China Merchants Bank Co., Ltd.", "招商银行股份有限公司", ("600036", "3968"), ("China Merchants Bank", "招商银行", "招行")),
    KnownIssuer("Industrial and Commercial Bank of China Limited", "中国工商银行股份有限公司", ("601398", "1398"), ("ICBC", "工商银行", "工行")),
    KnownIssuer("Taiwan Semiconductor Manufacturing Company Limited", "台积电", ("TSM", "2330"), ("TSMC", "台積電")),
    KnownIssuer("Apple Inc.", "苹果公司", ("AAPL",), ("Apple", "苹果")),
    KnownIssuer("Microsoft Corporation", "微软", ("MSFT",), ("Microsoft",)),
    KnownIssuer("Amazon.com, Inc.", "亚马逊", ("AMZN",), ("Amazon", "Amazon.com")),
    KnownIssuer("Alphabet Inc.", "谷歌", ("GOOGL", "GOOG"), ("Alphabet", "Google")),
    KnownIssuer("Meta Platforms, Inc.", "Meta", ("META",), ("Meta Platforms", "Facebook", "脸书")),
    KnownIssuer("NVIDIA Corporation", "英伟达", ("NVDA",), ("NVIDIA", "Nvidia", "輝達")),
    KnownIssuer("Advanced Micro Devices, Inc.", "超威半导体", ("AMD",), ("AMD",)),
    KnownIssuer("Tesla, Inc.", "特斯拉", ("TSLA",), ("Tesla",)),
    KnownIssuer("Walmart Inc.", "沃尔玛", ("WMT",), ("Walmart", "Wal-Mart")),
    KnownIssuer("Starbucks Corporation", "星巴克", ("SBUX",), ("Starbucks",)),
    KnownIssuer("The Coca-Cola Company", "可口可乐", ("KO",), ("Coca-Cola",)),
    KnownIssuer("Samsung Electronics Co., Ltd.", "三星电子", ("005930",), ("Samsung", "三星")),
    KnownIssuer("Berkshire Hathaway Inc.", "伯克希尔·哈撒韦", ("BRK.A", "BRK.B"), ("Berkshire Hathaway", "伯克希尔")),
)

_LEGAL_SUFFIX_EN = re.compile(
    r"[,\s]+(?:Group Holding Limited|Holdings? Limited|Holdings?,? Inc\.?|Corporation|Incorporated|Corp\.?|Inc\.?"
    r"|Co\.,? Ltd\.?|Company Limited|Limited|Ltd\.?|plc|PLC|N\.V\.|S\.A\.|AG|SE|Company)$")
_LEGAL_SUFFIX_ZH = re.compile(r"(集团控股有限公司|集團控股有限公司|控股有限公司|股份有限公司|集团有限公司|有限责任公司|有限公司|集团|公司)$")


def _key(name: str) -> str:
    """Comparison key for a name: NFKC, lower case, straight apostrophes, letters/digits/CJK only."""
    s = unicodedata.normalize("NFKC", name or "").lower().replace("’", "'")
    return re.sub(r"[^0-9a-z\u3400-\u9fff]+", "", s)


def short_name(name: str) -> str:
    """'Costco Wholesale Corporation' -> 'Costco Wholesale'; '平安银行股份有限公司' -> '平安银行'."""
    s = (name or "").strip()
    for _ in range(2):
        s2 = _LEGAL_SUFFIX_ZH.sub("", _LEGAL_SUFFIX_EN.sub("", s)).strip(" ,")
        if len(s2) < 2 or s2 == s:
            break
        s = s2
    return s


@functools.lru_cache(maxsize=4)
def _issuer_keys(issuers: tuple[KnownIssuer, ...]) -> list[tuple[KnownIssuer, frozenset, frozenset]]:
    return [(e, frozenset({_key(n) for n in e.names()} | {_key(short_name(n)) for n in e.names()}),
             frozenset(_key(t) for t in e.tickers if not t.isdigit())) for e in issuers]


def lookup_issuer(name_or_ticker: str) -> KnownIssuer | None:
    """The built-in entry whose name, alias or ticker equals ``name_or_ticker`` (loosely)."""
    return _lookup_issuer(name_or_ticker, KNOWN_ISSUERS)


# every document's issuer is looked up when the scoping index is built (2,000 documents: ~0.5 s uncached)
@functools.lru_cache(maxsize=4096)
def _lookup_issuer(name_or_ticker: str, issuers: tuple[KnownIssuer, ...]) -> KnownIssuer | None:
    k = _key(name_or_ticker)
    if not k:
        return None
    k_short = _key(short_name(name_or_ticker))
    for e, keys, ticker_keys in _issuer_keys(issuers):
        if k in keys or (len(k_short) >= 3 and k_short in keys):
            return e
        if name_or_ticker.strip().upper() in e.tickers or k in ticker_keys:
            return e
        if name_or_ticker.strip().isdigit() and name_or_ticker.strip() in e.tickers:
            return e
    return None


# ---------------------------------------------------------------------------
# Periods and dates (documents and questions alike)

_MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
        "一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

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
        prefix = "FY" if (self.fiscal or self.part in ("H1", "H2", "9M") and self.fiscal) else ""
        return f"{prefix}{self.year}{self.part}"


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


_Y4 = r"((?:19|20)\d{2})"
_FYWORD = r"(?:fiscal(?:\s+year)?|FY)"
_PERIOD_PATTERNS: list[tuple[re.Pattern, str]] = [
    # "Third Quarter and Year-to-Date Operating Results for Fiscal 2023"
    (re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter\b(?:(?!(?:19|20)\d{2})[^\n.;]){0,70}?"
                r"\b" + _FYWORD + r"[\s-]*'?" + _Y4, re.I), "q_ord_fy"),
    (re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter(?:\s+of)?(?:\s+the)?(?:\s+calendar)?(?:\s+year)?[\s,]*'?" + _Y4, re.I), "q_ord"),
    (re.compile(r"\b(first|second)[\s-]+half(?:\s+of)?(?:\s+(fiscal(?:\s+year)?|FY))?[\s,]*'?" + _Y4, re.I), "h_ord"),
    (re.compile(r"\bQ([1-4])\s*(?:of\s+)?[\s'’-]*(" + _FYWORD + r")?\s*'?((?:19|20)?\d{2})(?!\d)", re.I), "q_pre"),
    (re.compile(r"(?<![A-Za-z0-9])(FY|F)?\s*'?((?:19|20)\d{2}|(?<=FY)\d{2}|(?<=FY )\d{2})\s*[-/ ]?\s*Q([1-4])\b", re.I), "q_post"),
    (re.compile(r"(?<![A-Za-z0-9])(FY)?\s*((?:19|20)\d{2})\s*[-/ ]?\s*H([12])\b", re.I), "h_post"),
    (re.compile(r"\bH([12])\s*[\s'’-]*(FY)?\s*'?((?:19|20)?\d{2})(?!\d)", re.I), "h_pre"),
    (re.compile(r"(?<![A-Za-z0-9])([1-4])Q\s*'?((?:19|20)?\d{2})(?!\d)"), "q_num"),
    (re.compile(r"(?<![A-Za-z0-9])([12])H\s*'?((?:19|20)?\d{2})(?!\d)"), "h_num"),
    (re.compile(r"(?<![A-Za-z0-9])FY\s*'?((?:19|20)\d{2}|\d{2})(?!\d)", re.I), "fy"),
    (re.compile(r"\bfiscal(?:\s+year)?\s+" + _Y4 + r"(?!\d)", re.I), "fy"),
    (re.compile(_Y4 + r"\s+fiscal\s+year\b", re.I), "fy"),
    (re.compile(r"\bfull[\s-]+year(?:\s+of)?\s+" + _Y4 + r"(?!\d)|" + _Y4 + r"\s+full[\s-]+year\b", re.I), "fy_full"),
    # Chinese
    (re.compile(_Y4 + r"\s*年?\s*(?:财年|财务年度|財務年度|会计年度|財年)\s*(?:第\s*)?([一二三四1-4])\s*季度"), "zh_fy_q"),
    (re.compile(_Y4 + r"\s*年?\s*(?:财年|财务年度|財務年度|会计年度|財年)\s*(?:的)?\s*(?:中期|上半年|半年度|前六个月)"), "zh_fy_h1"),
    (re.compile(_Y4 + r"\s*(?:财年|财务年度|財務年度|会计年度|財年)"), "zh_fy"),
    (re.compile(_Y4 + r"\s*年\s*(?:第\s*)?([一二三四1-4])\s*(?:季度|季报|季報)"), "zh_q"),
    (re.compile(_Y4 + r"\s*年?\s*Q([1-4])\b", re.I), "zh_q"),
    (re.compile(_Y4 + r"\s*年\s*(?:前三季度|1-9月|1至9月)"), "zh_9m"),
    (re.compile(_Y4 + r"\s*年\s*(?:上半年|半年度|中期|1-6月|1至6月)"), "zh_h1"),
    (re.compile(_Y4 + r"\s*年\s*下半年"), "zh_h2"),
    (re.compile(_Y4 + r"\s*年\s*(?:年度|度|全年|年报|年報)"), "zh_fy_full"),
]
_BARE_YEAR = re.compile(r"(?<![\d.,/$-])" + _Y4 + r"(?!\s*年\s*\d{1,2}\s*月)(?![\d.,%])")


def find_periods(text: str, with_bare_years: bool = True) -> list[tuple[Period, tuple[int, int]]]:
    """Periods named in ``text`` with their spans, in order; overlapping forms are read once."""
    text = unicodedata.normalize("NFKC", text or "")
    found: list[tuple[Period, tuple[int, int]]] = []
    taken: list[tuple[int, int]] = []

    def free(a, b):
        return all(b <= x or a >= y for x, y in taken)

    for rx, kind in _PERIOD_PATTERNS:
        for m in rx.finditer(text):
            if not free(*m.span()):
                continue
            p = _period_from(kind, m)
            if p is None:
                continue
            found.append((p, m.span()))
            taken.append(m.span())
    # dates ("quarter ended June 30, 2023") consume their years
    for d, span in find_dates(text):
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
    try:
        if kind == "q_ord_fy":
            return Period(_year(g[1]), f"Q{_ORD[g[0].lower()]}", fiscal=True)
        if kind == "q_ord":
            return Period(_year(g[1]), f"Q{_ORD[g[0].lower()]}")
        if kind == "h_ord":
            return Period(_year(g[2]), f"H{_ORD[g[0].lower()]}", fiscal=bool(g[1]))
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
            return Period(_year(g[0]), f"Q{_ORD[g[1]]}", fiscal=True)
        if kind == "zh_fy_h1":
            return Period(_year(g[0]), "H1", fiscal=True)
        if kind == "zh_fy":
            return Period(_year(g[0]), None, fiscal=True)
        if kind == "zh_q":
            return Period(_year(g[0]), f"Q{_ORD[g[1]]}")
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


_MONTH_RX = (r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
             r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_PATTERNS = [
    (re.compile(r"\b" + _MONTH_RX + r"\s+(\d{1,2}),?\s+" + _Y4 + r"(?!\d)", re.I), "mdy"),
    (re.compile(r"\b(\d{1,2})\s+" + _MONTH_RX + r",?\s+" + _Y4 + r"(?!\d)", re.I), "dmy"),
    (re.compile(_Y4 + r"\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "ymd"),
    (re.compile(r"(?<![\d/])" + _Y4 + r"-(\d{2})-(\d{2})(?!\d)"), "ymd"),
    (re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})/" + _Y4 + r"(?![\d/])"), "m/d/y"),
]
_SPAN_BEFORE = [
    (re.compile(r"(three|3)[\s-]+months?|quarters?|(twelve|thirteen|sixteen|12|13|16)[\s-]+weeks|三个月|三個月|季度", re.I), "Q"),
    (re.compile(r"(six|6)[\s-]+months?|half[\s-]+year|六个月|六個月|半年", re.I), "H"),
    (re.compile(r"(nine|9)[\s-]+months?|九个月|九個月|(thirty-six|36|forty|40)[\s-]+weeks", re.I), "9M"),
    (re.compile(r"(fiscal\s+)?years?|financial\s+year|(52|53|fifty-two|fifty-three)[\s-]+weeks|年度", re.I), "FY"),
]


def find_dates(text: str) -> list[tuple[DateMention, tuple[int, int]]]:
    """Full dates in ``text`` (English, Chinese, ISO, M/D/Y), each with the span it ends, if said."""
    text = unicodedata.normalize("NFKC", text or "")
    out = []
    taken: list[tuple[int, int]] = []
    for rx, kind in _DATE_PATTERNS:
        for m in rx.finditer(text):
            a, b = m.span()
            if any(not (b <= x or a >= y) for x, y in taken):
                continue
            g = m.groups()
            try:
                if kind == "mdy":
                    d = date(int(g[2]), _MONTHS[g[0].lower().rstrip(".")[:4] if g[0].lower().startswith("sept") else g[0].lower().rstrip(".")[:3]], int(g[1]))
                elif kind == "dmy":
                    d = date(int(g[2]), _MONTHS[g[1].lower().rstrip(".")[:3]], int(g[0]))
                elif kind == "ymd":
                    d = date(int(g[0]), int(g[1]), int(g[2]))
                else:
                    d = date(int(g[2]), int(g[0]), int(g[1]))
            except (ValueError, KeyError):
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
        tail = after
        for rx, s in _SPAN_BEFORE:
            if rx.search(tail[:8]):
                span = s
                break
    if span is None and ended:
        m = re.search(r"(\S+[\s-]+\S+|\S+)\s+(?:ended|ending)\b[^.;\n]{0,30}$", before, re.I)
        probe = before[-48:] if m is None else m.group(0)
        for rx, s in _SPAN_BEFORE:
            if rx.search(probe):
                span = s
                break
    return DateMention(d, span, ended)


def parse_period_label(label: str) -> list[Period]:
    """A stored period ('2023Q1', 'FY2025H1', 'FY2022H1-FY2024H1', 'Q1 2023', '2024年第三季度') -> Periods."""
    label = (label or "").strip()
    if not label:
        return []
    m = re.fullmatch(r"(FY)?\s*(\d{4})\s*(Q[1-4]|H[12]|9M)?\s*(?:-|–|to|~|至)\s*(FY)?\s*(\d{4})\s*(Q[1-4]|H[12]|9M)?", label, re.I)
    if m and int(m.group(2)) <= int(m.group(5)) and int(m.group(5)) - int(m.group(2)) <= 30:
        part = (m.group(3) or m.group(6) or "").upper() or None
        fiscal = bool(m.group(1) or m.group(4))
        return [Period(y, part, fiscal) for y in range(int(m.group(2)), int(m.group(5)) + 1)]
    m = re.fullmatch(r"(FY)?\s*(\d{4})\s*(Q[1-4]|H[12]|9M)?", label, re.I)
    if m:
        return [Period(int(m.group(2)), (m.group(3) or "").upper() or None, fiscal=bool(m.group(1)))]
    return [p for p, _ in find_periods(label)]


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


# ---------------------------------------------------------------------------
# Document kinds

KIND_WORDS: list[tuple[str, re.Pattern]] = [
    ("10-K", re.compile(r"(?<![\w$.-])10-K(?![\w-])|\bform\s+10K\b", re.I)),
    ("10-Q", re.compile(r"(?<![\w$.-])10-Q(?![\w-])|\bform\s+10Q\b", re.I)),
    ("20-F", re.compile(r"(?<![\w$.-])20-F(?![\w-])|\bform\s+20F\b", re.I)),
    ("8-K", re.compile(r"(?<![\w$.-])8-K(?![\w-])|\bform\s+8K\b", re.I)),
    ("6-K", re.compile(r"(?<![\w$.-])6-K(?![\w-])|\bform\s+6K\b", re.I)),
    ("earnings release", re.compile(r"\b(?:earnings|results|press|news)[\s-]+(?:release|announcement)s?\b|\bearnings[\s-]+report\b"
                                    r"|业绩公告|業績公告|业绩发布|业绩新闻稿|财报新闻稿|新闻稿", re.I)),
    ("annual report", re.compile(r"\bannual[\s-]+reports?\b|年度报告|年度報告|年报|年報", re.I)),
    ("interim report", re.compile(r"\binterim[\s-]+reports?\b|\bhalf[\s-]+year(?:ly)?[\s-]+reports?\b|中期报告|中期報告|半年度报告|半年报|半年報", re.I)),
    ("quarterly report", re.compile(r"\bquarterly[\s-]+reports?\b|季度报告|季度報告|季报|季報", re.I)),
    ("news article", re.compile(r"\bnews(?:paper)?(?:[\s-]+(?:article|story|report|commentary))?\b|\barticles?\b|\bcommentary\b"
                                r"|新闻|新聞|报道|報道|评论文章|新闻评论|评论|文章", re.I)),
]
KIND_FAMILY = {"10-K": "annual report", "20-F": "annual report", "10-Q": "quarterly report",
               "8-K": "earnings release", "6-K": "earnings release"}


def normalize_kind(value: str) -> str:
    """'10k' -> '10-K', '年度报告' -> 'annual report', 'press release' -> 'earnings release'."""
    v = (value or "").strip()
    if not v:
        return ""
    for kind, rx in KIND_WORDS:
        if v.lower() == kind.lower() or rx.fullmatch(v) or rx.search(v):
            return kind
    return v.lower()


def find_kinds(text: str) -> list[str]:
    """Document kinds a question names, most specific first (a form number before 'annual report')."""
    out = []
    t = unicodedata.normalize("NFKC", text or "")
    for kind, rx in KIND_WORDS:
        if rx.search(t) and kind not in out:
            out.append(kind)
    if "earnings release" in out and "news article" in out:
        out.remove("news article")  # "news release" is a press release
    return out


# ---------------------------------------------------------------------------
# Inference from a document


@dataclass
class _Found:
    value: object = None
    evidence: str = ""


@dataclass
class Inference:
    fields: dict = field(default_factory=dict)     # field -> value
    evidence: dict = field(default_factory=dict)   # field -> where it came from

    def set(self, name: str, value, evidence: str) -> None:
        if value in (None, "", [], ()):
            return
        self.fields[name] = value
        self.evidence[name] = evidence[:160]


_TICKER_US = re.compile(r"\b(NYSE(?:\s+American)?|Nasdaq(?:\s+GS|\s+Global Select Market)?|NASDAQ|Nasdaq-GS)\s*[:：]\s*([A-Z][A-Z.]{0,5})\b")
_TICKER_HK = re.compile(r"(?:HKEX|SEHK|HKSE|Stock Code|港交所代号|港交所代碼|股份代号|股份代號)\s*[:：]?\s*(\d{4,5})\b", re.I)
_TICKER_NYSE_ZH = re.compile(r"(?:纽交所|紐交所|纳斯达克|納斯達克)(?:代码|代碼|代号|代號)\s*[:：]?\s*([A-Z]{1,5})\b")
_CODE_ZH = re.compile(r"(?:证券|股票|A股|A 股|公司)\s*代码\s*[:：]?\s*(\d{6})")
_ABBR_ZH = re.compile(r"(?:证券|股票|A股)\s*简称\s*[:：]?\s*([\u4e00-\u9fffA-Za-z]{2,8}?)(?=\s|证券|股票|公告|上市|[,，;；|:：]|$)")
_ZH_LEGAL = re.compile(r"([\u4e00-\u9fff（）()]{2,24}?(?:集团控股有限公司|集團控股有限公司|控股有限公司|股份有限公司|集团有限公司|有限责任公司|有限公司))")
_EN_LEGAL = re.compile(
    r"((?:[A-Z][\w&'’.\-]*|[a-z]+[A-Z][\w&'’.\-]*)(?:\s+(?:[A-Z][\w&'’.\-]*|of|and|&)){0,5}?,?\s+"
    r"(?:Group Holding Limited|Holdings? Limited|Holdings?,? Inc\.|Corporation|Incorporated|Inc\.|Co\.,\s?Ltd\.|Company Limited|Limited|plc|N\.V\.))"
    r"|\b([A-Z][A-Z&'’.\-]+(?:\s+[A-Z][A-Z&'’.\-]+){0,5}\s+(?:GROUP HOLDING LIMITED|HOLDINGS? LIMITED|CORPORATION|INC\.|LIMITED))")
_RESULTS_HEADLINE = re.compile(
    r"(?P<verb>\b(?:Reports|REPORTS|Announces|ANNOUNCES|Reported|Posts|POSTS|Delivers)\b)"
    r"(?P<rest>(?:[^\n]|\n(?!\s*\n)){0,110}?\b(?:Results|RESULTS|Earnings|EARNINGS)\b(?:\s+for\s+(?:the\s+)?(?:Fiscal|FISCAL|FY)\s*(?:Year\s+)?\d{4})?)")
_NEWS_CUES = re.compile(r"记者|報道|据.{0,12}(报道|消息)|分析师|市场(广泛)?关注|投资者应|\b(Reuters|Bloomberg|reporter|analysts? said|commentary|editorial)\b", re.I)


def _is_name_token(tok: str) -> bool:
    tok = tok.strip(",")
    if not tok or tok.lower() in ("news", "release", "for", "immediate", "exhibit"):
        return False
    return bool(re.search(r"[A-Z]", tok)) and bool(re.match(r"[A-Za-z]", tok))


def _headline(head: str) -> tuple[str, str] | None:
    """('Intel', 'Intel Reports First-Quarter 2023 Financial Results') from a results press release."""
    for m in _RESULTS_HEADLINE.finditer(head):
        rest = m.group("rest")
        if not re.search(r"quarter|year|fiscal|annual|half|results", rest, re.I):
            continue
        line_start = head.rfind("\n", 0, m.start()) + 1
        before = head[line_start:m.start()].split()
        name: list[str] = []
        for tok in reversed(before):
            if not _is_name_token(tok) or len(name) >= 6:
                break
            name.insert(0, tok)
        if not name:
            continue
        issuer = " ".join(name).strip(" ,")
        title = re.sub(r"\s+", " ", f"{issuer} {m.group('verb')}{rest}").strip()
        return issuer, title
    return None


def _cover_lines(head: str, n: int = 14) -> list[str]:
    out = []
    for ln in head.split("\n"):
        s = ln.strip(" #|*\t")
        if s:
            out.append(s)
        if len(out) >= n:
            break
    return out


def _filename_tokens(path: Path) -> list[str]:
    stem = unicodedata.normalize("NFKC", path.stem).lower()
    return [t for t in re.split(r"[^0-9a-z\u3400-\u9fff]+", stem) if t]


def _issuer_from_filename(path: Path) -> KnownIssuer | None:
    toks = [re.sub(r"\d+", "", t) for t in _filename_tokens(path)]
    toks = [t for t in toks if t]
    for e in KNOWN_ISSUERS:
        keys = {_key(n) for n in e.names() + e.tickers if len(_key(n)) >= 4 or (n.isupper() and len(n) >= 3)}
        for i in range(len(toks)):
            acc = ""
            for j in range(i, min(len(toks), i + 4)):
                acc += toks[j]
                if acc in keys:
                    return e
    return None


def _period_from_filename(path: Path, kind: str) -> list[Period]:
    stem = unicodedata.normalize("NFKC", path.stem)
    ps = [p for p, _ in find_periods(re.sub(r"[_\-.]+", " ", stem), with_bare_years=False)]
    if not ps:
        ys = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", stem)]
        if ys and kind in ("annual report", "10-K", "20-F"):
            ps = [Period(ys[0], None, fiscal=True)]
    return ps


def _kind_from_filename(path: Path) -> str:
    s = " ".join(_filename_tokens(path))
    checks = [("earnings release", r"\bearnings?\b|\bresults?\b|\bpress\b|业绩"),
              ("10-K", r"\b10 ?k\b"), ("10-Q", r"\b10 ?q\b"), ("20-F", r"\b20 ?f\b"), ("8-K", r"\b8 ?k\b"),
              ("6-K", r"\b6 ?k\b"), ("annual report", r"\bannual\b|年报|年度报告"),
              ("interim report", r"\binterim\b|\bhalf\b|中期|半年"), ("quarterly report", r"\bquarterly\b|季报|季度报告"),
              ("news article", r"\barticle\b|\bnews\b|新闻|报道")]
    for kind, rx in checks:
        if re.search(rx, s):
            return kind
    return ""


def _pdf_cover(path: Path) -> tuple[str, str]:
    """Raw text of a PDF's first page (before running lines are removed) and its creation date."""
    try:
        import logging

        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        r = PdfReader(str(path))
        text = r.pages[0].extract_text() or "" if r.pages else ""
        created = ""
        info = r.metadata or {}
        raw = str(info.get("/CreationDate", "") or "")
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})", raw)
        if m:
            created = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        return text, created
    except Exception:
        return "", ""


def _squash_cjk_spaces(s: str) -> str:
    """pypdf puts spaces between CJK and digits ('2024 年年度报告'): remove them."""
    return re.sub(r"(?<=[\u3400-\u9fff\d])[ \t]+(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff])[ \t]+(?=\d)", "", s)


def infer_metadata(path: str | Path, pages: list, *, pdf_cover: tuple[str, str] | None = None) -> Inference:
    """Infer title, issuer, tickers, aliases, kind, period, period_end, date and language.

    ``pages`` are the loaded pages (``ingest.Page``: ``.text``). Returns the values
    with the evidence for each; fields with no evidence are left out.
    """
    from .text import language_of

    path = Path(path)
    texts = [unicodedata.normalize("NFKC", p.text) for p in pages]
    cover_raw, created = ("", "")
    if path.suffix.lower() == ".pdf":
        cover_raw, created = pdf_cover if pdf_cover is not None else _pdf_cover(path)
        cover_raw = unicodedata.normalize("NFKC", cover_raw)
    head = _squash_cjk_spaces((cover_raw + "\n" if cover_raw else "") + "\n".join(texts)[:8000])
    body = _squash_cjk_spaces("\n".join(texts[:16])[:80000])
    full = "\n".join(texts)[:600000]
    inf = Inference()

    # language
    inf.set("language", language_of(head[:5000]), "text")

    # issuer -------------------------------------------------------------
    headline = _headline(head[:4000])
    legal_en = Counter()
    for m in _EN_LEGAL.finditer(head):
        name = (m.group(1) or m.group(2) or "").strip()
        name = re.sub(r"^(?:The|THE)\s+", "", name)
        if len(name) > 4:
            legal_en[name] += 1
    legal_zh = None
    for ln in _cover_lines(head, 20):
        m = _ZH_LEGAL.search(ln)
        if m and len(ln) <= 60:
            legal_zh = m.group(1)
            break
    codes = _CODE_ZH.findall(body)
    abbrs = _ABBR_ZH.findall(body)
    us = [(ex, t) for ex, t in _TICKER_US.findall(head)] + [("NYSE", t) for t in _TICKER_NYSE_ZH.findall(head)]
    hk = _TICKER_HK.findall(head)

    tickers: list[str] = []
    for _, t in us:
        tickers.append(t)
    tickers += hk
    if codes:
        tickers.append(Counter(codes).most_common(1)[0][0])
    tickers = list(dict.fromkeys(tickers))

    issuer_name, issuer_ev = "", ""
    if headline:
        hl_key = _key(headline[0])
        # prefer the legal name that the headline's name starts ("Intel" -> "Intel Corporation")
        match = [n for n, _ in legal_en.most_common() if _key(n).startswith(hl_key) or hl_key.startswith(_key(short_name(n)))]
        if match:
            issuer_name, issuer_ev = match[0], f"headline {headline[1]!r} and legal name {match[0]!r}"
        else:
            issuer_name, issuer_ev = headline[0], f"headline {headline[1]!r}"
    if not issuer_name and legal_zh:
        issuer_name, issuer_ev = legal_zh, f"cover {legal_zh!r}"
    if not issuer_name and legal_en:
        top, n = legal_en.most_common(1)[0]
        cover = " ".join(_cover_lines(head, 14))
        if n >= 2 or top in cover:
            issuer_name, issuer_ev = top, f"legal name {top!r} ({n}x on the first pages)"
            if top.isupper():
                issuer_name = _title_case(top)

    known = lookup_issuer(issuer_name) if issuer_name else None
    if known is None and legal_zh:
        known = lookup_issuer(legal_zh)
    if known is None:
        for t in tickers:
            known = lookup_issuer(t)
            if known:
                issuer_ev = issuer_ev or f"ticker {t}"
                break
    if known is None and not issuer_name:
        known = _issuer_from_filename(path)
        if known:
            issuer_ev = f"file name {path.name!r}"
    if known is None and not issuer_name:
        # a text about a company (e.g. a news article): the issuer it names most, if it dominates
        counts = Counter()
        for e in KNOWN_ISSUERS:
            for n in set(e.names()):
                if len(_key(n)) >= 2:
                    counts[e] += _count_name(full[:50000], n)
        if counts:
            (top, n), *rest = counts.most_common(2) + [(None, 0)]
            second = rest[0][1] if rest else 0
            if n >= 3 and n >= 2 * second:
                known, issuer_ev = top, f"most-mentioned company ({n} mentions)"

    aliases: list[str] = []
    if known:
        inf.set("issuer", known.name, issuer_ev or "built-in issuer table")
        aliases = [known.zh, *known.aliases]
        tickers = list(dict.fromkeys(tickers + list(known.tickers)))
    elif issuer_name:
        inf.set("issuer", issuer_name, issuer_ev)
    if issuer_name:
        aliases += [issuer_name, short_name(issuer_name)]
    if legal_zh:
        aliases += [legal_zh, short_name(legal_zh)]
    if abbrs:
        aliases.append(Counter(abbrs).most_common(1)[0][0])
    issuer = inf.fields.get("issuer", "")
    aliases = [a for a in dict.fromkeys(a.strip() for a in aliases) if a and len(_key(a)) >= 2 and a != issuer]
    inf.set("aliases", aliases, "names found in the document" + (" and the built-in issuer table" if known else ""))
    inf.set("tickers", tickers, ", ".join(f"{ex}: {t}" for ex, t in us) or ("listing code in the text" if codes or hk else "built-in issuer table"))

    # kind ---------------------------------------------------------------
    cover_lines = _cover_lines(head, 14)
    cover_text = "\n".join(cover_lines)
    kind, kind_ev = "", ""
    if headline:
        kind, kind_ev = "earnings release", f"headline {headline[1]!r}"
    if not kind:
        m = re.search(r"\bFORM\s+(10-K|10-Q|20-F|8-K|6-K)\b", head[:3000])
        if m:
            kind, kind_ev = m.group(1), f"cover 'FORM {m.group(1)}'"
    if not kind:
        for ln in cover_lines:
            if len(ln) > 90:
                continue
            k = _report_kind(_squash_cjk_spaces(ln))
            if k:
                kind, kind_ev = k, f"cover line {ln!r}"
                break
    if not kind and re.search(r"\b(NEWS RELEASE|PRESS RELEASE)\b", head[:2000]) and \
            re.search(r"today (reported|announced)[^.]{0,120}(results|earnings)", head[:4000], re.I):
        kind, kind_ev = "earnings release", "press release announcing results"
    if not kind:
        k = _kind_from_filename(path)
        if k:
            kind, kind_ev = k, f"file name {path.name!r}"
    if not kind:
        counts = Counter()
        for k in ("annual report", "interim report", "quarterly report"):
            counts[k] = len(re.findall(dict(KIND_WORDS)[k], body[:60000]))
        k, n = counts.most_common(1)[0]
        if n >= 3:
            kind, kind_ev = k, f"'{k}' named {n}x in the text"
    if not kind and _looks_like_article(head, texts):
        kind, kind_ev = "news article", "prose without report headings"
    inf.set("kind", kind, kind_ev)

    # period ------------------------------------------------------------
    periods: list[Period] = []
    period_ev = ""
    title_line = ""
    sources = ([headline[1]] if headline else []) + cover_lines
    for ln in sources:
        ps = [p for p, _ in find_periods(_squash_cjk_spaces(ln), with_bare_years=False)]
        if not ps and kind in ("annual report", "interim report", "quarterly report") and _report_kind(_squash_cjk_spaces(ln)):
            ys = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", ln)
            if ys:
                ps = [Period(int(ys[0]), None, fiscal=bool(re.search(r"fiscal|财年|财务年度|財務年度", ln, re.I)))]
        if ps:
            periods, period_ev = [ps[0]], (f"title {ln!r}" if len(ln) <= 90 else f"opening text {ln[:80]!r}")
            title_line = ln if len(ln) <= 90 else ""
            break
    if not periods:
        # an SEC cover: "For the fiscal year ended December 31, 2023", "For the quarterly period ended …"
        cover = "\n".join(_cover_lines(head, 30))
        for dm, (a, b) in find_dates(cover):
            if dm.ended and dm.span in ("FY", "Q") and re.search(r"\bfor the\b", cover[max(0, a - 60):a], re.I):
                v = dm.value
                periods = [Period(v.year, None, fiscal=True)] if dm.span == "FY" else \
                    [Period(v.year, f"Q{(v.month - 1) // 3 + 1}")]
                period_ev = f"cover '{cover[max(0, a - 40):b].strip()}'"
                break
    if not periods:
        periods = _period_from_filename(path, kind)
        if periods:
            period_ev = f"file name {path.name!r}"
    if periods and kind == "interim report":
        periods = [Period(p.year, p.part or "H1", p.fiscal) for p in periods]
    if periods and title_line and len(title_line) <= 90:
        # the same title repeated for other years: several reports in one file
        pat = re.escape(title_line.strip())
        pat = re.sub(r"(?:19|20)\d{2}", r"((?:19|20)\\d{2})", pat, count=1)
        years = {int(y) for y in re.findall(r"(?m)^[ #*|]*" + pat + r"[ *|]*$", full)}
        if len(years) > 1:
            p0 = periods[0]
            periods = [Period(y, p0.part, p0.fiscal) for y in sorted(years)]
            period_ev = f"title {title_line!r} for {len(years)} years"
    if len(periods) > 1:
        label = f"{periods[0].label()}-{periods[-1].label()}"
    elif periods:
        label = periods[0].label()
    else:
        label = ""
    inf.set("period", label, period_ev)

    # period end -----------------------------------------------------------
    if periods:
        latest = max(periods, key=lambda p: p.year)
        end, end_ev = _period_end(latest, body, kind)
        if end is None and inf.fields.get("language") == "zh" and not latest.fiscal:
            end = _calendar_end(latest)
            end_ev = "calendar period (mainland China reporting)"
        if end:
            inf.set("period_end", end.isoformat(), end_ev)

    # publication date ----------------------------------------------------
    pe = parse_iso_date(inf.fields.get("period_end", ""))
    d, d_ev = _publication_date(head, full, pe, created)
    inf.set("date", d, d_ev)

    # title ---------------------------------------------------------------
    title, t_ev = _title(path, head, cover_lines, headline, inf, title_line)
    inf.set("title", title, t_ev)
    return inf


def _title_case(s: str) -> str:
    small = {"of", "and", "the"}
    out = []
    for w in s.split():
        lw = w.lower()
        out.append(lw if lw in small and out else (w if len(w) <= 3 and w.isupper() and "." not in w and lw not in ("inc.", "ltd.") else w.capitalize()))
    return " ".join(out)


def _count_name(text: str, name: str) -> int:
    if re.search(r"[\u3400-\u9fff]", name):
        return text.count(name)
    return len(re.findall(r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", text))


def _report_kind(line: str) -> str:
    if re.search(r"\bannual report\b|年度报告|年度報告|年报", line, re.I):
        return "annual report"
    if re.search(r"\binterim report\b|中期报告|中期報告|半年度报告|半年报", line, re.I):
        return "interim report"
    if re.search(r"\bquarterly report\b|季度报告|季度報告|季报", line, re.I):
        return "quarterly report"
    return ""


def _looks_like_article(head: str, texts: list[str]) -> bool:
    if _NEWS_CUES.search(head[:6000]):
        return True
    return False


def _calendar_end(p: Period) -> date | None:
    if p.part is None:
        return date(p.year, 12, 31)
    if p.part.startswith("Q"):
        m, d = QUARTER_ENDS[int(p.part[1])]
        return date(p.year, m, d)
    if p.part == "H1":
        return date(p.year, 6, 30)
    if p.part == "H2":
        return date(p.year, 12, 31)
    if p.part == "9M":
        return date(p.year, 9, 30)
    return None


def _span_of(p: Period) -> str:
    if p.part is None:
        return "FY"
    if p.part.startswith("Q"):
        return "Q"
    if p.part.startswith("H"):
        return "H"
    return p.part


def _period_end(p: Period, body: str, kind: str) -> tuple[date | None, str]:
    """The most-cited '<span> ended <date>' / '截至<date>止…' consistent with the period."""
    votes: Counter = Counter()
    examples = {}
    want = _span_of(p)
    for dm, (a, b) in find_dates(body):
        if not dm.ended and not re.search(r"截至\s*$", body[max(0, a - 4):a]):
            continue
        y = dm.value.year
        ok = (y == p.year) if p.part is None else (y in (p.year, p.year - 1))
        if p.part is None and not p.fiscal and y != p.year:
            ok = False
        if not ok:
            continue
        w = 3 if dm.span == want else (1 if dm.span in (None, "Q", "H", "9M", "FY") else 0)
        if p.part and p.part.startswith("Q") and dm.span == "FY":
            w = 0
        if w:
            votes[dm.value] += w
            examples.setdefault(dm.value, body[max(0, a - 30):b].replace("\n", " "))
    if not votes:
        return None, ""
    best = max(votes, key=lambda d: (votes[d], d))
    return best, f"'…{examples[best].strip()}' ({votes[best]} votes)"


def _publication_date(head: str, full: str, period_end: date | None, created: str) -> tuple[str, str]:
    def plausible(d: date) -> bool:
        if period_end is None:
            return 1990 <= d.year <= 2100
        return period_end < d <= date(period_end.year + 2, 12, 31)  # published after the period ends

    top = head[:2500]
    # dateline: "SANTA CLARA, Calif., April 27, 2023 –", "May 25, 2023 (GLOBE NEWSWIRE)", "7/26/2023"
    for dm, (a, b) in find_dates(top):
        if dm.ended:
            continue
        before, after = top[max(0, a - 40): a], top[b: b + 25]
        ls, le = top.rfind("\n", 0, a) + 1, top.find("\n", b)
        alone = top[ls: le if le >= 0 else len(top)].strip() == top[a:b].strip()
        if re.search(r"\b[A-Z]{2,}[A-Z .]*,\s+(?:[A-Z][A-Za-z]*\.?,\s*)?$", before) or \
                re.match(r"\s*(?:\(GLOBE NEWSWIRE\)|/PRNewswire/|/?Business Wire|[–—-]{1,2}\s)", after) or \
                re.fullmatch(r"\s*\d{1,2}/\d{1,2}/\d{4}\s*", top[a:b]) or alone:
            if plausible(dm.value):
                return dm.value.isoformat(), f"dateline '{top[max(0, a - 25):b].strip()}'"
    # Chinese announcements close with "…董事会 2024年11月7日"
    tail = full[-3000:]
    for m in re.finditer(r"董事会\s*\n?\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", _squash_cjk_spaces(tail)):
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        if plausible(d):
            return d.isoformat(), f"board signature '{m.group(0).strip()}'"
    if created:
        d = parse_iso_date(created)
        if d and plausible(d):
            return created, "PDF creation date"
    return "", ""


def _title(path: Path, head: str, cover_lines: list[str], headline, inf: Inference, title_line: str) -> tuple[str, str]:
    if headline:
        t = headline[1]
        letters = [c for c in t if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:  # "McDONALD'S REPORTS …"
            name, rest = headline[0], t[len(headline[0]):]
            proper = next((n for n in [inf.fields.get("issuer", "")] + list(inf.fields.get("aliases", []))
                           if n and _key(n) == _key(name)), "")
            if not proper:
                proper = next((n for n in [short_name(inf.fields.get("issuer", ""))] if _key(n) == _key(name)), _title_case(name))
            t = proper + " " + _title_case(rest.strip())
        return t, "headline"
    issuer = inf.fields.get("issuer", "")
    lang = inf.fields.get("language", "")
    if title_line:
        tl = _squash_cjk_spaces(title_line)
        names = [issuer] + list(inf.fields.get("aliases", []))
        if any(n and _key(n) in _key(tl) for n in names):
            return tl, "cover"
        zh_name = next((a for a in inf.fields.get("aliases", []) if _ZH_LEGAL.fullmatch(a)), "")
        name = zh_name if lang == "zh" and zh_name else issuer
        return (f"{name} {tl}".strip() if name else tl), "issuer and cover title"
    kind = inf.fields.get("kind", "")
    period = inf.fields.get("period", "")
    if issuer and kind in ("annual report", "interim report", "quarterly report") and period:
        return f"{issuer} {period} {kind.title()}", "issuer, period and kind"
    for ln in head.split("\n"):
        s = ln.strip(" #|\t")
        if 4 <= len(s) <= 120:
            return s, "first line"
    first = re.split(r"(?<=[。！？!?])|(?<=\.)\s", head.strip(), maxsplit=1)[0].strip()
    if first:
        return (first[:60] + "…") if len(first) > 60 else first, "first sentence"
    return path.stem, "file name"


FIELDS = ("title", "kind", "issuer", "tickers", "aliases", "language", "date", "period", "period_end")


def normalize_tag(key: str, value) -> object:
    """A user's correction (``rag tag DOC key=value``) in stored form; ValueError if it cannot be."""
    if key not in FIELDS:
        raise ValueError(f"cannot tag {key!r}: use one of {', '.join(FIELDS)}")
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = [v.strip() for v in re.split(r"[,，、;]", str(value or ""))]
    text = str(value).strip() if not isinstance(value, (list, tuple)) else ", ".join(items)
    if key in ("tickers", "aliases"):
        return [v for v in dict.fromkeys(items) if v]
    if not text:
        return ""
    if key == "kind":
        return normalize_kind(text)
    if key == "period":
        p = normalize_period(text)
        if not p:
            raise ValueError(f"cannot read period {text!r}: try 2023Q1, FY2025, FY2025H1, FY2022H1-FY2024H1")
        return p
    if key in ("date", "period_end"):
        d = normalize_date(text)
        if not d:
            raise ValueError(f"cannot read {key} {text!r}: use YYYY-MM-DD (or YYYY-MM, YYYY)")
        return d
    if key == "language":
        low = text.lower()
        if low in ("zh", "zh-cn", "zh-hans", "chinese", "中文", "cn"):
            return "zh"
        if low in ("en", "english", "英文"):
            return "en"
        raise ValueError(f"language must be zh or en, not {text!r}")
    return text


def merge_inferred(info: dict, inferred: Inference) -> dict:
    """Fill the fields ``info`` (from a manifest) leaves empty; record which were inferred."""
    out = dict(info)
    evidence = dict(out.get("inferred") or {})
    for name in FIELDS:
        if out.get(name) in (None, "", [], ()) and name in inferred.fields:
            out[name] = inferred.fields[name]
            evidence[name] = inferred.evidence.get(name, "")
    if evidence:
        out["inferred"] = evidence
    return out


def describe(meta: dict) -> str:
    """One line for people: 'Intel Corporation (INTC) · earnings release · 2023Q1 · 2023-04-27 · en'."""
    issuer = meta.get("issuer", "")
    tick = ", ".join(meta.get("tickers", []) or [])
    parts = [f"{issuer} ({tick})" if issuer and tick else issuer, meta.get("kind", ""), meta.get("period", ""),
             meta.get("date", ""), meta.get("language", "")]
    return " · ".join(p for p in parts if p)


def main(argv: list[str] | None = None) -> int:
    """``python -m rag.metadata FILE...``: print what would be inferred (no manifest involved)."""
    import json
    import sys

    from ingest import load_pages

    args = argv if argv is not None else sys.argv[1:]
    as_json = "--json" in args
    files = [a for a in args if a != "--json"]
    out = {}
    for f in files:
        p = Path(f)
        if p.is_dir():
            continue
        try:
            pages = load_pages(p)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{p.name}: cannot load: {e}", file=sys.stderr)
            continue
        inf = infer_metadata(p, pages)
        out[p.name] = {"fields": inf.fields, "evidence": inf.evidence}
        if not as_json:
            print(f"{p.name}")
            for k in FIELDS:
                if k in inf.fields:
                    v = inf.fields[k]
                    v = ", ".join(v) if isinstance(v, list) else v
                    print(f"  {k:<10} {v}    [{inf.evidence.get(k, '')}]")
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
