"""Earnings releases: the headline ("<Issuer> Reports Second Quarter 2023 Results"), the dateline
("CITY, State, Month D, YYYY – <Issuer> (NYSE: XYZ) (“Short” or the “Company”) today reported …"),
the quarter and fiscal year it reports, and the listing codes it prints.
"""
from __future__ import annotations

import functools
import re

from ..vocabulary import vocabulary
from .document import DocView, Found
from .issuers import display_case, name_key, self_references, short_name
from .periods import Period, find_dates, find_periods

_HEADLINE = re.compile(
    r"(?P<verb>\b(?:reports|announces|reported|posts|delivers|releases)\b)"
    r"(?P<rest>(?:[^\n]|\n(?!\s*\n)){0,110}?\b(?:results|earnings)\b(?:\s+for\s+(?:the\s+)?(?:fiscal|FY)\s*(?:year\s+)?\d{4})?)",
    re.I)
_SUBJECT_VERB = r"today\s+(?:reported|announced|released|posted|reports|announces)"
_DATELINE = re.compile(
    r"(?:[–—]|--?|/PRNewswire/\s*--|\(GLOBE NEWSWIRE\)\s*--|/Business\s*Wire/?\s*--)\s*"
    r"(?P<name>[A-Z0-9][\w&'’.,\- ]{1,80}?)\s*(?P<par>(?:\([^()]{1,90}\)\s*){0,3})\s*"
    r"(?:,[^.;\n]{0,160}?,\s*)?" + _SUBJECT_VERB, re.S)
_DEFINED = re.compile(r"[“\"]([^”\"]{2,40}?)[,]?[”\"]")
_NEWS_WIRE = re.compile(r"\b(NEWS RELEASE|PRESS RELEASE|FOR IMMEDIATE RELEASE)\b|GLOBE NEWSWIRE|PRNewswire|Business Wire", re.I)


@functools.lru_cache(maxsize=1)
def _ticker_rx() -> re.Pattern:
    prefixes = sorted(vocabulary("issuers")["exchanges"]["ticker_prefixes"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\s*[:：]\s*([A-Z][A-Z.]{0,5})\b")


def _name_token(tok: str) -> bool:
    tok = tok.strip(",")
    if not tok or tok.lower() in ("news", "release", "for", "immediate", "exhibit", "press"):
        return False
    return bool(re.search(r"[A-Z0-9]", tok)) and bool(re.match(r"[A-Za-z0-9&]", tok))


def headline(view: DocView) -> Found | None:
    """(issuer name, headline) of a results headline in the first lines."""
    top = view.head[:4000]
    for m in _HEADLINE.finditer(top):
        rest = m.group("rest")
        if not re.search(r"quarter|year|fiscal|annual|half|results", rest, re.I):
            continue
        line_start = top.rfind("\n", 0, m.start()) + 1
        before = top[line_start:m.start()].split()
        name: list[str] = []
        for tok in reversed(before):
            if not _name_token(tok) or len(name) >= 6:
                break
            name.insert(0, tok)
        if not name:
            continue
        issuer = " ".join(name).strip(" ,")
        title = re.sub(r"\s+", " ", f"{issuer} {m.group('verb')}{rest}").strip()
        return view.found((issuer, title), "headline", line_start, title)
    return None


def dateline(view: DocView) -> tuple[Found, list[str]] | None:
    """The subject of the dateline sentence ('… – Acme Corp. (NYSE: ACM) today reported') and the
    short names it defines ('(“Acme” or the “Company”)')."""
    top = view.head[:6000]
    for m in _DATELINE.finditer(top):
        name = re.sub(r"\s+", " ", m.group("name")).strip(" ,")
        name = re.sub(r"^(?:The|THE)\s+(?=[A-Z])", "", name) if len(name.split()) > 2 else name
        if not re.search(r"[A-Za-z]", name) or len(name) < 2:
            continue
        defined = [d.strip() for d in _DEFINED.findall(m.group("par"))]
        defined = [d for d in defined if name_key(d) not in self_references()]
        return view.found(name, "dateline", m.start("name"), m.group(0)[-160:]), defined
    return None


def listing_codes(view: DocView) -> Found | None:
    top = view.head
    found = [(m.group(1), m.start(), m.group(0)) for m in _ticker_rx().finditer(top)]
    if not found:
        return None
    syms = list(dict.fromkeys(s for s, _, _ in found))
    return view.found(syms, "listing code", found[0][1], "; ".join(dict.fromkeys(t for _, _, t in found)))


def looks_like_release(view: DocView) -> bool:
    return headline(view) is not None or (bool(_NEWS_WIRE.search(view.head[:3000])) and dateline(view) is not None)


def _fourth_quarter_of(fy: Period, view: DocView, fy_end_month: int | None) -> str:
    """Evidence that a release naming a full fiscal year also reports its last quarter ('' if none)."""
    top = view.head[:6000]
    m = re.search(r"\b(?:fourth[\s-]+quarter|Q4|4Q)\b", top, re.I)
    if m:
        return top[max(0, m.start() - 20): m.end() + 20]
    if fy_end_month:
        for m in re.finditer(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
                             r"\s+((?:19|20)\d{2})\s+quarter\b", top, re.I):
            from ..patterns import month_number

            if month_number(m.group(1)) == fy_end_month and int(m.group(2)) in (fy.year, fy.year - 1):
                return m.group(0)
    return ""


def read(view: DocView) -> dict[str, Found]:
    out: dict[str, Found] = {}
    hl = headline(view)
    dl = dateline(view)
    if hl is None and not (dl and _NEWS_WIRE.search(view.head[:3000])):
        return out
    out["kind"] = hl and Found("earnings release", "headline", hl.page, hl.text) or \
        Found("earnings release", "press release announcing results", dl[0].page, dl[0].text)
    legal = _legal_names_on_cover(view)
    names: list[str] = []
    if dl:
        subject, defined = dl
        names += defined
        out["issuer"] = subject
    if hl:
        hl_name = hl.value[0]
        names.append(hl_name)
        agree = dl and (name_key(dl[0].value).startswith(name_key(hl_name))
                        or name_key(hl_name).startswith(name_key(short_name(dl[0].value))))
        if not agree:
            # the legal name the headline's name starts ("Acme" -> "Acme Corporation")
            match = [n for n in legal if name_key(n).startswith(name_key(hl_name))
                     or name_key(hl_name).startswith(name_key(short_name(n)))]
            name = display_case(match[0], view.head) if match else display_case(hl_name, view.head)
            out["issuer"] = Found(name, "headline" + (" and legal name" if match else ""), hl.page, hl.value[1])
        out["title"] = Found(hl.value[1], "headline", hl.page, hl.value[1])
    if names:
        out["names"] = Found(list(dict.fromkeys(names)), "headline and dateline", (dl[0].page if dl else hl.page), "")
    codes = listing_codes(view)
    if codes:
        out["tickers"] = codes
    # period: the headline's, else the first one the opening lines name
    sources = [(hl.value[1], hl.page)] if hl else []
    sources += [(ln, view.page_at(off)) for ln, off in view.cover_lines(20)]
    if dl:
        sources.append((dl[0].text, dl[0].page))
    for text, page in sources:
        ps = [p for p, _ in find_periods(text, with_bare_years=False)]
        if ps:
            q = next((p for p in ps if p.part), None)
            out["period"] = Found([q or ps[0]], "headline" if hl and text == hl.value[1] else "opening lines", page, text)
            break
    return out


def _legal_names_on_cover(view: DocView) -> list[str]:
    from collections import Counter

    from .issuers import en_legal_name

    c = Counter()
    for m in en_legal_name().finditer(view.head[:8000]):
        name = re.sub(r"^(?:The|THE)\s+", "", (m.group(1) or m.group(2) or "").strip())
        if len(name) > 4:
            c[name] += 1
    return [n for n, _ in c.most_common()]


def q4_if_full_year_release(periods: list[Period], view: DocView, period_end) -> tuple[list[Period], str]:
    """A release of a fiscal year's results that also reports its last quarter is that quarter's release."""
    if len(periods) != 1 or periods[0].part is not None:
        return periods, ""
    fy = periods[0]
    why = _fourth_quarter_of(fy, view, period_end.month if period_end else None)
    if why:
        return [Period(fy.year, "Q4", fiscal=fy.fiscal)], why
    return periods, ""


def dateline_date(view: DocView, plausible) -> Found | None:
    """'SANTA CLARA, Calif., April 27, 2023 –', 'May 25, 2023 (GLOBE NEWSWIRE)', '(January 24, 2023) –', '7/26/2023'."""
    top = view.head[:2500]
    for dm, (a, b) in find_dates(top):
        if dm.ended:
            continue
        before, after = top[max(0, a - 40): a], top[b: b + 25]
        ls, le = top.rfind("\n", 0, a) + 1, top.find("\n", b)
        alone = top[ls: le if le >= 0 else len(top)].strip() == top[a:b].strip()
        if re.search(r"\b[A-Z]{2,}[A-Z .]*,\s+(?:[A-Z][A-Za-z]*\.?,\s*)?$|\b[A-Z][\w.]*,\s+[A-Z][\w.]*\s*\($|[-–]\s*$", before) or \
                re.match(r"\s*\)?\s*(?:\(GLOBE NEWSWIRE\)|/PRNewswire/|/?Business Wire|[–—-]{1,2}\s)", after) or \
                re.fullmatch(r"\s*\d{1,2}/\d{1,2}/\d{4}\s*", top[a:b]) or alone:
            if plausible(dm.value):
                return view.found(dm.value.isoformat(), "dateline", a, top[max(0, a - 25):b])
    return None
