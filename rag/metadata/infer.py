"""Infer a document's metadata from its own conventions, each field with its evidence (page, text).

The document type decides where each field is read:

- an SEC filing (10-K, 10-Q, 20-F, 8-K, 6-K): its cover page (``sec``);
- an earnings release: headline and dateline (``release``);
- an annual / interim / quarterly report, Chinese or English: cover, 公司信息 and 释义 (``reports``);
- anything else (a news article, a memo): the company its opening sentence names and the text
  keeps naming, the file name, "<span> ended <date>" phrases (``generic``).

No company is named anywhere in this package: issuers, short names and tickers come from the
document, and a user's alias file (``issuers.load_aliases``) may add names at question time.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from . import generic, release, reports, sec
from .document import DocView, Found, Inference, squash_cjk_spaces
from .issuers import name_key, self_references, short_name, zh_legal_name
from .kinds import REPORT_KINDS, kind_words, report_kind
from .periods import Period, calendar_end, parse_iso_date, period_label

FIELDS = ("title", "kind", "issuer", "tickers", "aliases", "language", "date", "period", "period_end")


def infer_metadata(path: str | Path, pages: list, *, pdf_cover: tuple[str, str] | None = None) -> Inference:
    """Infer title, issuer, tickers, aliases, kind, period, period_end, date and language.

    ``pages`` are the loaded pages (``ingest.Page``: ``.number``, ``.text``); the first pages are
    enough, plus (for Chinese reports) the page holding the 释义. Returns the values with the
    evidence for each; fields with no evidence are left out.
    """
    from ..text import language_of

    view = DocView.build(path, pages, pdf_cover)
    path = view.path
    inf = Inference()
    language = language_of(view.head[:5000])
    inf.set("language", language, "text")

    if sec.is_sec_filing(view):
        got, convention = sec.read(view), "sec"
    elif release.looks_like_release(view):
        got, convention = release.read(view), "release"
    elif reports.is_report(view):
        got, convention = reports.read(view), "report"
    else:
        got, convention = {}, "generic"

    # kind ------------------------------------------------------------------------------
    kind = got.get("kind")
    if kind is None:
        kind = generic.kind_from_file(path) or _kind_named_often(view)
    if kind is None and generic.looks_like_article(view):
        kind = Found("news article", "prose with reporting cues, no report headings")
    inf.set("kind", kind.value if kind else "", kind or "")
    kind_v = kind.value if kind else ""

    # issuer, short names, tickers --------------------------------------------------------
    issuer = got.get("issuer")
    names = list(got["names"].value) if "names" in got else []
    if "used_names" in got:
        names += got["used_names"].value
    if issuer is None and convention != "sec":
        found = generic.frequent_legal_name(view)
        if found:
            issuer, used = found
            names += used
    if issuer is None and kind_v == "news article":
        subject = generic.article_subject(view)
        if subject:
            issuer, shorter = subject
            names += shorter
    issuer_v = issuer.value if issuer else ""
    inf.set("issuer", issuer_v, issuer or "")
    if issuer_v:
        names += [short_name(issuer_v)] + generic.defined_short_names(view, issuer_v)
    if convention == "report" and language == "zh":
        for ln, _ in view.cover_lines(20):
            m = zh_legal_name().search(ln)
            if m and len(ln) <= 60:
                names += [m.group(1), short_name(m.group(1))]
                break
    aliases = _clean_names(names, issuer_v, view.text_of_pages(0, 12))
    names_ev = got.get("names") or issuer
    inf.set("aliases", aliases, names_ev.evidence() if names_ev else "")
    if "tickers" in got:
        inf.set("tickers", list(got["tickers"].value), got["tickers"])

    # period ----------------------------------------------------------------------------------
    body = view.text_of_pages(0, 16)[:80000]
    pf = got.get("period")
    if pf is None and convention == "generic":
        pf = _period_from_title_lines(view, kind_v)
    if pf is None:
        pf = generic.period_from_file(path, kind_v)
    periods: list[Period] = list(pf.value) if pf else []
    period_ev = pf.evidence() if pf else ""
    if periods and kind_v == "interim report" and periods[0].part is None:
        periods = [Period(p.year, "H1", p.fiscal) for p in periods]
    end_found = got.get("period_end")
    end = parse_iso_date(end_found.value) if end_found else None
    if periods and end is None:
        latest = max(periods, key=lambda p: p.year)
        end, why = generic.period_end_votes(latest, body)
        if end:
            end_found = Found(end.isoformat(), why)
        elif language == "zh" and not latest.fiscal:
            end = calendar_end(latest)
            end_found = Found(end.isoformat(), "calendar period (mainland China reporting)") if end else None
    if periods and convention == "release":
        periods2, why = release.q4_if_full_year_release(periods, view, end)
        if why:
            periods, period_ev = periods2, f"{period_ev}; reports the year's last quarter: '{why.strip()}'"
    title_line = got.get("title_line")
    if periods and title_line is not None:
        full = "\n".join(squash_cjk_spaces(p.text) for p in view.all_pages)[:600000]
        years = reports.repeated_title_years(title_line.value, full)
        if len(years) > 1:
            p0 = periods[0]
            periods = [Period(y, p0.part, p0.fiscal) for y in sorted(years)]
            period_ev = f"title {title_line.value!r} for {len(years)} years"
    inf.set("period", period_label(periods), period_ev)
    if periods and end_found is not None:
        inf.set("period_end", end_found.value, end_found)

    # publication date ---------------------------------------------------------------------------
    pe = parse_iso_date(inf.fields.get("period_end", ""))

    def plausible(d: date) -> bool:
        if pe is None:
            return 1990 <= d.year <= 2100
        return pe < d <= date(pe.year + 2, 12, 31)   # published after the period ends

    dated = got.get("date") or release.dateline_date(view, plausible) or generic.board_signature_date(view, plausible) \
        or generic.cover_month(view, plausible) or generic.creation_date(view, plausible)
    if dated:
        inf.set("date", dated.value, dated)

    # title -----------------------------------------------------------------------------------------
    title = _title(view, got, inf)
    inf.set("title", title.value, title)
    return inf


def _clean_names(names: list[str], issuer: str, text: str = "") -> list[str]:
    from .issuers import display_case

    out, seen = [], {name_key(issuer)}
    for n in names:
        n = (n or "").strip()
        if len(re.sub(r"[^A-Za-z]", "", n)) > 5:
            n = display_case(n, text)          # "ACME" -> "Acme", "McKAY'S" -> "McKay's"
        k = name_key(n)
        if len(k) < 2 or k in seen or k in self_references():
            continue
        seen.add(k)
        out.append(n)
    return out


def _kind_named_often(view: DocView) -> Found | None:
    counts = Counter()
    body = view.text_of_pages(0, 16)[:60000]
    words = dict(kind_words())
    for k in REPORT_KINDS:
        counts[k] = len(words[k].findall(body))
    k, n = counts.most_common(1)[0]
    return Found(k, f"'{k}' named {n}x in the text") if n >= 3 else None


def _period_from_title_lines(view: DocView, kind: str) -> Found | None:
    from .periods import find_periods

    for ln, off in view.cover_lines(14):
        ps = [p for p, _ in find_periods(ln, with_bare_years=False)]
        if not ps and kind in REPORT_KINDS and report_kind(ln):
            ys = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", ln)
            ps = [Period(int(ys[0]), None, fiscal=bool(re.search(r"fiscal|财年|财务年度", ln, re.I)))] if ys else []
        if ps:
            return view.found([ps[0]], "title" if len(ln) <= 90 else "opening text", off, ln[:90])
    return None


def _title(view: DocView, got: dict, inf: Inference) -> Found:
    issuer = inf.fields.get("issuer", "")
    kind = inf.fields.get("kind", "")
    period = inf.fields.get("period", "")
    if "title" in got:                                   # a release headline
        t = got["title"].value
        letters = [c for c in t if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:   # "ACME REPORTS …"
            from .issuers import display_case

            said = got["names"].value[-1] if "names" in got else ""
            proper = next((n for n in [issuer, short_name(issuer)] + list(inf.fields.get("aliases", []))
                           if n and said and name_key(n) == name_key(said)), "")
            if proper and t.upper().startswith(said.upper()):
                t = proper + " " + display_case(t[len(said):].strip(), "")
            else:
                t = display_case(t, view.text_of_pages(0, 4))
        return Found(t, "headline", got["title"].page, t)
    if kind in ("10-K", "10-Q", "20-F", "8-K", "6-K") and issuer:
        when = period or inf.fields.get("date", "")
        title = f"{issuer} Form {kind}" + (f" {when}" if when else "")
        if "items" in got:                                 # an 8-K: what it reports
            title += ": " + "; ".join(got["items"].value[:2])
            return Found(title, "issuer, form, date of report and items", got["items"].page, got["items"].text)
        return Found(title, "issuer, form and period")
    tl = got.get("title_line")
    if tl is not None:
        line = squash_cjk_spaces(tl.value)
        names = [issuer] + list(inf.fields.get("aliases", []))
        if any(n and name_key(n) in name_key(line) for n in names):
            return Found(line, "cover", tl.page, line)
        zh = next((a for a in [issuer] + list(inf.fields.get("aliases", [])) if zh_legal_name().fullmatch(a or "")), "")
        name = zh if inf.fields.get("language") == "zh" and zh else issuer
        return Found(f"{name} {line}".strip() if name else line, "issuer and cover title", tl.page, line)
    if issuer and kind in REPORT_KINDS + ("earnings release",) and period:
        return Found(f"{issuer} {period} {kind.title()}", "issuer, period and kind")
    for ln, off in view.cover_lines(4):
        if 4 <= len(ln) <= 120 and not re.fullmatch(r"(?i)(for immediate release|news release|press release|"
                                                     r"exhibit \d+(\.\d+)?)\W*", ln):
            return view.found(ln, "first line", off, ln)
    first = re.split(r"(?<=[。！？!?])|(?<=\.)\s", view.head.strip(), maxsplit=1)[0].strip()
    if first:
        return Found((first[:60] + "…") if len(first) > 60 else first, "first sentence")
    return Found(view.path.stem, "file name")
