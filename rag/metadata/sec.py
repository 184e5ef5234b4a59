"""SEC filings (10-K, 10-Q, 20-F, 8-K, 6-K) read from their cover page.

The cover says it all: the form type, the registrant under "(Exact name of registrant as specified
in its charter)", its trading symbols in the Section 12(b) table, and "For the fiscal year ended …"
or "For the quarterly period ended …"; an 8-K has a "Date of Report" instead of a period. Names
are never taken from the exchange column of the 12(b) table nor from the text of the filing
(which names subsidiaries, counterparties and the Securities Exchange Act of 1934).
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from datetime import date

from ..vocabulary import vocabulary
from .document import DocView, Found
from .issuers import display_case
from .periods import Period, find_dates, find_periods

_SEC = re.compile(r"SECURITIES\s+AND\s+EXCHANGE\s+COMMISSION", re.I)
_FORM = re.compile(r"\bFORM\s+(10-K|10-Q|20-F|8-K|6-K|40-F)(?:T|405|/A)?(?![\w-])", re.I)
_REGISTRANT = re.compile(r"\(\s*Exact\s+name\s+of\s+(?:the\s+)?registrant\s+as\s+specified\s+in\s+its\s+charter\s*\)", re.I)
_FILE_NO = re.compile(r"(?:Commission\s+)?File\s+(?:Number|No\.?)[:\s]*(?:\n\s*)*\d{1,4}-\d{3,6}|\bnumber[:\s]+\d{1,4}-\d{3,6}"
                      r"|(?<![\w-])\d{1,3}-\d{4,6}(?![\w-])", re.I)
_COVER_PERIOD = re.compile(r"\bfor\s+the\s+(fiscal\s+year|year|quarterly\s+period|quarter|transition\s+period)\s+ended\b",
                           re.I)
_DATE_OF_REPORT = re.compile(r"Date\s+of\s+Report\s*\(Date\s+of\s+earliest\s+event\s+reported\)\s*:?", re.I)
_NOT_A_NAME = re.compile(r"securities|exchange\s+act|commission|transition|pursuant|☐|☒|check\s+mark|^\(|^or$", re.I)


@functools.lru_cache(maxsize=1)
def _exchanges() -> str:
    names = sorted(vocabulary("issuers")["exchanges"]["names"], key=len, reverse=True)
    return "(?:" + "|".join(re.escape(n) for n in names) + ")"


def is_sec_filing(view: DocView) -> bool:
    """A cover page: the Commission's name heads the document and the form type follows it (a press
    release that mentions its "Quarterly Report on Form 10-Q filed with the Securities and Exchange
    Commission" further down is not one)."""
    top = view.head[:5000]
    sec = _SEC.search(top[:600])
    form = _FORM.search(top)
    return bool(sec and form and form.start() - sec.end() < 1500)


def form_type(view: DocView) -> Found | None:
    top = view.head[:5000]
    m = _FORM.search(top)
    if not m:
        return None
    return view.found(m.group(1).upper(), "SEC cover", m.start(), m.group(0))


def _clean_name(s: str) -> str:
    s = re.sub(r"_{2,}|[☐☒☑þ¨]", " ", s)
    s = re.sub(r"\s+", " ", s).strip(" ,;:-–")
    return s


def registrant(view: DocView) -> Found | None:
    """The name above '(Exact name of registrant as specified in its charter)', or, on covers
    without that label, the line after the Commission file number."""
    top = view.head[:8000]
    m = _REGISTRANT.search(top)
    if m:
        before = top[max(0, m.start() - 400): m.start()]
        cuts = [x.end() for x in _FILE_NO.finditer(before)]
        cuts += [x.end() for x in re.finditer(r"_{3,}|\bOR\b\s*[☐¨]?|reported\)\s*:?\s*[A-Z][a-z]+\.? \d{1,2}, \d{4}", before)]
        seg = before[max(cuts):] if cuts else before
        lines = [_clean_name(x) for x in seg.split("\n")]
        lines = [x for x in lines if x and re.search(r"[A-Za-z]", x) and not _NOT_A_NAME.search(x)]
        if lines and 2 <= len(lines[-1]) <= 100:
            name = lines[-1]
            return view.found(display_case(name, view.text_of_pages(0, 12)), "SEC cover, exact name of registrant",
                              m.start(), name + " (Exact name of registrant…)")
    for fm in _FILE_NO.finditer(top[:4000]):
        rest = top[fm.end(): fm.end() + 200].split("\n")
        for ln in rest:
            name = _clean_name(ln)
            if not name:
                continue
            if 2 <= len(name) <= 80 and re.search(r"[A-Za-z]", name) and not _NOT_A_NAME.search(name) \
                    and not re.search(r":\s*$|incorporation|employer|address|telephone", name, re.I):
                return view.found(display_case(name, view.text_of_pages(0, 12)), "SEC cover, name after the file number",
                                  fm.end(), name)
            break
    # a cover without either: a line that is a legal name ("Acme Rockets Corporation")
    from .issuers import en_legal_name

    for ln in top[:3000].split("\n")[:40]:
        name = _clean_name(ln)
        m = en_legal_name().fullmatch(name)
        if m and not _NOT_A_NAME.search(name):
            return view.found(display_case(name, view.text_of_pages(0, 12)), "SEC cover, a legal name line",
                              top.find(ln), name)
    return None


def trading_symbols(view: DocView) -> Found | None:
    """Symbols of the registered equity in the Section 12(b) table (notes and preferred series left out)."""
    top = view.head[:12000]
    a = re.search(r"Section\s+12\(b\)", top, re.I)
    if not a:
        return None
    b = re.search(r"Section\s+12\(g\)|Indicate\s+by\s+check", top[a.end():], re.I)
    region = top[a.end(): a.end() + (b.start() if b else 2500)]
    syms: list[str] = []
    for m in re.finditer(r"(?<![\w$.])([A-Z]{1,5}(?:\.[A-Z]{1,2})?)\s+" + _exchanges() + r"(?![\w])", region):
        sym = m.group(1)
        before = region[max(0, m.start() - 90): m.start()]
        first = not syms
        equity = re.search(r"common|ordinary|class\s+[A-C]\b|capital\s+stock|american\s+depositary\s+shares", before, re.I) \
            and not re.search(r"notes?\b|debentures?|preferred|warrants?|depositary\s+shares,\s+each", before, re.I)
        if (first and (len(sym) >= 2 or equity)) or (equity and len(sym) >= 2):
            if sym not in syms:
                syms.append(sym)
    if not syms:
        return None
    return view.found(syms, "SEC cover, Section 12(b) trading symbol", a.start(), ", ".join(syms))


def _cover_flat(view: DocView) -> str:
    t = re.sub(r"\s+", " ", view.head[:6000])
    return re.sub(r" ,", ",", t)


def cover_period_end(view: DocView) -> tuple[str, date, str] | None:
    """('FY' | 'Q', end date, text) from "For the fiscal year ended …" / "For the quarterly period ended …"."""
    flat = _cover_flat(view)
    for m in _COVER_PERIOD.finditer(flat):
        what = m.group(1).lower()
        if what.startswith("transition"):
            continue
        dates = find_dates(flat[m.end(): m.end() + 120])
        if not dates:
            continue
        span = "FY" if "year" in what else "Q"
        d, (a, b) = dates[0]
        return span, d.value, flat[m.start(): m.end() + b]
    return None


def fiscal_year_named(end: date, text: str) -> tuple[int, str]:
    """The fiscal year a filer names for a year ending on ``end``: the year it ends in, unless the
    filer's own text says otherwise. Years ending in January or February are named either way by
    different filers (a retailer's 'fiscal 2022' may end on January 28, 2023), so the text decides:
    the label it gives next to the end date, else the one it uses more; failing both, a year that
    ends in the first week of January is named for the year before (it is that year's 52 weeks)."""
    if end.month > 2:
        return end.year, "the year it ends in"
    cur, prev = end.year, end.year - 1
    date_rx = end.strftime("%B") + r"\s+" + str(end.day) + r",?\s+" + str(end.year)
    near = re.search(r"fiscal(?:\s+year)?\s+(\d{4})\W{0,6}(?:\(\s*)?(?:ended|ending)\s+" + date_rx
                     + r"|" + date_rx + r"\s*\(\s*[“\"]?fiscal(?:\s+year)?\s+(\d{4})", text, re.I)
    if near:
        y = int(near.group(1) or near.group(2))
        if y in (cur, prev):
            return y, f"'{re.sub(chr(10), ' ', near.group(0))[:80]}'"
    counts = Counter()
    for y in (cur, prev):
        counts[y] = len(re.findall(rf"\bfiscal(?:\s+year)?\s+{y}\b|\bFY\s*'?{y}\b", text, re.I))
    if counts[cur] != counts[prev]:
        y = max(counts, key=lambda k: counts[k])
        return y, f"'fiscal {y}' named {counts[y]}x (vs {counts[cur + prev - y]}x)"
    if end.month == 1 and end.day <= 7:
        return prev, "a 52/53-week year ending in the first week of January"
    return cur, "the year it ends in"


def fiscal_quarter_named(end: date, text: str) -> tuple[Period, str]:
    """The quarter a 10-Q reports, as the filer names it: the quarter its text names most for that
    end date ('first quarter of fiscal 2024'), else counted from the fiscal year end it states,
    else the calendar quarter of the end date."""
    votes = Counter()
    examples = {}
    for p, (a, b) in find_periods(text, with_bare_years=False):
        if p.part and p.part.startswith("Q") and p.year in (end.year, end.year + 1, end.year - 1):
            k = (p.year, p.part, p.fiscal)
            votes[k] += 1
            examples.setdefault(k, text[a:b])
    # a quarter must be one that can end on this date given a fiscal year end in the same text
    fy_end = _fiscal_year_end_month(text)
    if fy_end is not None:
        n = round(((end.month - fy_end) % 12) / 3) or 4
        votes = Counter({k: v for k, v in votes.items() if k[1] == f"Q{n}"}) or Counter()
    if votes:
        (y, part, fiscal), n_votes = max(votes.items(), key=lambda kv: (kv[1], kv[0][2]))
        return Period(y, part, fiscal), f"'{examples[(y, part, fiscal)]}' named {n_votes}x"
    if fy_end is not None and fy_end != 12:
        n = round(((end.month - fy_end) % 12) / 3) or 4
        fy = end.year if end.month <= fy_end else end.year + 1
        return Period(fy, f"Q{n}", fiscal=True), f"fiscal year ending in month {fy_end}"
    return Period(end.year, f"Q{(end.month - 1) // 3 + 1}"), "calendar quarter of the period end"


def _fiscal_year_end_month(text: str) -> int | None:
    m = re.search(r"fiscal\s+year\s+(?:end(?:s|ed|ing)?|ended)\s+(?:(?:on|in)\s+)?(?:the\s+last\s+\w+\s+(?:of|in)\s+)?"
                  r"(January|February|March|April|May|June|July|August|September|October|November|December)", text, re.I)
    if m:
        from ..patterns import month_number

        return month_number(m.group(1))
    return None


def date_of_report(view: DocView) -> Found | None:
    flat = _cover_flat(view)
    m = _DATE_OF_REPORT.search(flat)
    if not m:
        return None
    ds = find_dates(flat[m.end(): m.end() + 60])
    if not ds:
        return None
    d, (a, b) = ds[0]
    return Found(d.iso(), "8-K cover, Date of Report", view.page_at(0), flat[m.start(): m.end() + b])


def current_report_items(view: DocView) -> Found | None:
    """The items an 8-K reports, in order ('Item 8.01. Other Events.' -> 'Other Events')."""
    text = view.text_of_pages(0, 6)
    items: list[str] = []
    first = None
    for m in re.finditer(r"\bItem\s+(\d\.\d{2})\.?\s+([A-Z][A-Za-z ,;&'’\-]{3,80}?)\s*(?:\.|\n|$)", text):
        title = re.sub(r"\s+", " ", m.group(2)).strip(" ,;")
        if title and title not in items:
            items.append(title)
            first = first if first is not None else m
    if not items:
        return None
    return Found(items, "8-K items", view.page_at(len(view.cover_raw) + 1 + first.start()) if view.cover_raw
                 else view.page_at(first.start()), first.group(0))


def read(view: DocView) -> dict[str, Found]:
    """Fields from an SEC cover: kind, issuer, tickers, period (+ period_end) or date."""
    out: dict[str, Found] = {}
    form = form_type(view)
    if form is None:
        return out
    out["kind"] = form
    reg = registrant(view)
    if reg:
        out["issuer"] = reg
    sy = trading_symbols(view)
    if sy:
        out["tickers"] = sy
    cover = cover_period_end(view)
    if cover and form.value != "8-K":
        span, end, text = cover
        body = view.text_of_pages(0, 40)
        if span == "FY":
            y, why = fiscal_year_named(end, body)
            out["period"] = Found([Period(y, None, fiscal=True)], f"SEC cover; named FY{y}: {why}", view.page_at(0), text)
        else:
            p, why = fiscal_quarter_named(end, body)
            out["period"] = Found([p], f"SEC cover; {p.label()}: {why}", view.page_at(0), text)
        out["period_end"] = Found(end.isoformat(), "SEC cover", view.page_at(0), text)
    if form.value in ("8-K", "6-K"):
        d = date_of_report(view)
        if d:
            out["date"] = d
        items = current_report_items(view)
        if items:
            out["items"] = items
    return out
