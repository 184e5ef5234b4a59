"""Scoping a question to the documents it is about.

A question that names a company (name, alias or ticker, in either language), a
fiscal period (Q1 2023, 2023Q1, first quarter 2023, 2023年第一季度, FY2025,
2025财年, six months ended September 30, 2022, 截至2025年3月31日止年度) or a
document kind (10-K, annual report, 年度报告, 中期报告, earnings release, 新闻)
that the index knows is answered from those documents only: the document ids go
into the store query (Chroma ``where`` and the keyword query), not a filter
applied afterwards. Constraints are relaxed in a fixed order when they match
nothing (kind, then period), and each relaxation is said in the scope text; a
company the index does not know falls back to the whole index and says so.

Explicit filters (``--company/--kind/--period/--doc``) use the same matching but
never relax: no match means no documents.

Multi-company corpora: unless the question asks for a comparison, an answer
cites one issuer's documents only (see :func:`dominant_issuer`).
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from .metadata import (
    KIND_FAMILY, KNOWN_ISSUERS, DateMention, Period, _key, find_dates, find_kinds, find_periods,
    lookup_issuer, normalize_kind, parse_iso_date, parse_period_label, period_ends, short_name,
)


@dataclass
class Scope:
    doc_ids: list[str] | None            # None = the whole index
    description: str
    fell_back: bool = False              # the question named something the index does not have
    explicit: bool = False               # from filters the user gave, not from the question
    comparison: bool = False             # the question compares companies/periods: no single-issuer rule
    issuers: list[str] = field(default_factory=list)   # issuer keys the question named (known ones)
    notes: list[str] = field(default_factory=list)
    query: str = ""                      # keyword query with the scope's own terms removed ("" = the question)

    @property
    def whole_index(self) -> bool:
        return self.doc_ids is None


@dataclass
class DocInfo:
    doc_id: str
    issuer: str            # display name ("" if unknown)
    issuer_key: str        # groups documents of one issuer
    names: list[str]
    kind: str
    periods: list[Period]
    ends: list[date]
    published: date | None
    period_label: str

    @staticmethod
    def from_catalog(doc: dict) -> "DocInfo":
        m = doc.get("meta") or {}
        issuer = (m.get("issuer") or "").strip()
        known = lookup_issuer(issuer) if issuer else None
        key = issuer_key(issuer, doc["doc_id"])
        names = [issuer, short_name(issuer), *(m.get("aliases") or []), *(m.get("tickers") or [])]
        if known:
            names += [*known.names(), *known.tickers]
        names = [n.strip() for n in dict.fromkeys(names) if n and len(_key(n)) >= 2]
        periods = parse_period_label(m.get("period") or "")
        ends = period_ends(periods, m.get("period_end") or "")
        pub = _loose_date(m.get("date") or "")
        return DocInfo(doc["doc_id"], issuer, key, names, normalize_kind(m.get("kind") or ""), periods, ends, pub,
                       m.get("period") or "")


def issuer_key(issuer: str, doc_id: str = "") -> str:
    if not issuer:
        return f"doc:{doc_id}"
    known = lookup_issuer(issuer)
    return _key(known.name) if known else _key(short_name(issuer)) or _key(issuer)


def _loose_date(s: str) -> date | None:
    d = parse_iso_date(s)
    if d:
        return d
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", s.strip())
    if m:
        return date(int(m.group(1)), int(m.group(2) or 1), 1)
    return None


# -- names in a question -----------------------------------------------------------

def _name_pattern(name: str) -> re.Pattern:
    n = unicodedata.normalize("NFKC", name).replace("’", "'")
    if re.search(r"[\u3400-\u9fff]", n):
        return re.compile(re.escape(n))
    if n.isdigit():
        return re.compile(r"(?<![\d.,$])" + re.escape(n) + r"(?![\d]|\s*年)")
    body = re.escape(n).replace("\\ ", r"\s+")
    flags = 0 if (n.isupper() and len(n) <= 6) else re.I   # tickers: BABA, COST, MCD (not "cost")
    return re.compile(r"(?<![A-Za-z0-9])" + body + r"(?![A-Za-z0-9])", flags)


def _find_names(text: str, names: dict[str, set[str]]) -> list[tuple[tuple[int, int], set[str], str]]:
    """Non-overlapping mentions of ``names`` (longest first): (span, issuer keys, name)."""
    t = unicodedata.normalize("NFKC", text).replace("’", "'")
    hits = []
    taken: list[tuple[int, int]] = []
    for name in sorted(names, key=lambda n: -len(n)):
        for m in _name_pattern(name).finditer(t):
            a, b = m.span()
            if any(not (b <= x or a >= y) for x, y in taken):
                continue
            taken.append((a, b))
            hits.append(((a, b), names[name], name))
    hits.sort(key=lambda h: h[0][0])
    return hits


_COMPARE = re.compile(
    r"\b(compare[sd]?|comparing|comparison|versus|vs\.?|relative to|differ(?:ence|ent)?|both|each of|respectively|"
    r"which (?:company|of)|between)\b|对比|比较|比較|相比|相较|分别|分別|哪家|谁的|两家|两者|各自", re.I)


def is_comparison(question: str) -> bool:
    return bool(_COMPARE.search(question or ""))


# -- the index's documents ---------------------------------------------------------

class DocumentIndex:
    """The catalog's documents as scoping sees them (rebuilt when the catalog changes)."""

    def __init__(self, documents: list[dict]):
        self.docs = [DocInfo.from_catalog(d) for d in documents]
        self.by_id = {d.doc_id: d for d in self.docs}
        self.names: dict[str, set[str]] = {}
        self.display: dict[str, str] = {}
        for d in self.docs:
            self.display.setdefault(d.issuer_key, d.issuer or d.doc_id)
            for n in d.names:
                self.names.setdefault(n, set()).add(d.issuer_key)
        # well-known issuers the index does NOT hold: naming one means "not in the index"
        self.unknown: dict[str, set[str]] = {}
        for e in KNOWN_ISSUERS:
            k = _key(e.name)
            if k in self.display:
                continue
            for n in (*e.names(), *[t for t in e.tickers if len(t) >= 3]):
                if n and n not in self.names and len(_key(n)) >= 2:
                    self.unknown.setdefault(n, set()).add(k)

    def issuer_of(self, doc_id: str) -> str:
        d = self.by_id.get(doc_id)
        return d.issuer_key if d else f"doc:{doc_id}"


_CACHE: dict[str, DocumentIndex] = {}


def document_index(documents: "list[dict] | DocumentIndex") -> DocumentIndex:
    if isinstance(documents, DocumentIndex):
        return documents
    sig = hashlib.sha1(json.dumps([(d["doc_id"], d.get("version"), d.get("meta")) for d in documents],
                                  ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    idx = _CACHE.get(sig)
    if idx is None:
        if len(_CACHE) > 16:
            _CACHE.clear()
        idx = _CACHE[sig] = DocumentIndex(documents)
    return idx


# -- matching rules --------------------------------------------------------------------

def period_score(qp: Period, doc: DocInfo) -> int:
    """3 exact, 2 same year named loosely, 1 related (the doc covers part of / more than it), 0 no."""
    best = 0
    for dp in doc.periods:
        if dp.year != qp.year:
            continue
        if qp.part == dp.part:
            s = 2 if qp.bare else 3
        elif qp.part is None:
            s = 1
        elif dp.part is None:
            s = 1
        elif (qp.part, dp.part) in (("H1", "Q2"), ("9M", "Q3"), ("H2", "Q4")):
            s = 1  # the quarter's release/report also gives the year-to-date figures
        else:
            s = 0
        best = max(best, s)
    if qp.bare and best == 0:
        # "in 2024": a year the document's period ends in, or was published in
        if any(e.year == qp.year for e in doc.ends) or (not doc.periods and doc.published and doc.published.year == qp.year):
            best = 1
    return best


def date_score(dm: DateMention, doc: DocInfo) -> int:
    if any(e == dm.value for e in doc.ends):
        return 3
    return 0


def kind_tier(q_kind: str, doc_kind: str) -> int:
    """2 same kind, 1 same family (a 10-K is an annual report), 0 other."""
    if not doc_kind:
        return 0
    if q_kind == doc_kind:
        return 2
    if KIND_FAMILY.get(doc_kind) == q_kind:
        return 2 if q_kind in ("annual report", "quarterly report") else 1
    if KIND_FAMILY.get(q_kind) == doc_kind:
        return 1
    return 0


@dataclass
class Mentions:
    issuers: list[str]                # known issuer keys, in order of mention
    unknown: list[str]                # names of companies the index does not hold
    periods: list[Period]
    dates: list[DateMention]
    kinds: list[str]
    comparison: bool

    @property
    def empty(self) -> bool:
        return not (self.issuers or self.unknown or self.periods or self.dates or self.kinds)


def read_question(question: str, index: DocumentIndex) -> Mentions:
    q = unicodedata.normalize("NFKC", question or "")
    known = _find_names(q, index.names)
    issuers: list[str] = []
    spans = []
    for span, keys, _ in known:
        spans.append(span)
        for k in sorted(keys):
            if k not in issuers:
                issuers.append(k)
    unknown = []
    for span, keys, name in _find_names(q, index.unknown):
        if any(not (span[1] <= a or span[0] >= b) for a, b in spans):
            continue
        unknown.append(name)
    periods = [p for p, _ in find_periods(q)]
    dates = [d for d, _ in find_dates(q)]
    kinds = find_kinds(q)
    if "interim report" in kinds:  # "fiscal 2025 interim report" = the first half of FY2025
        periods = [Period(p.year, "H1", True) if (p.part is None and not p.bare) else p for p in periods]
    comparison = is_comparison(q) or len(issuers) > 1
    return Mentions(issuers, list(dict.fromkeys(unknown)), periods, dates, kinds, comparison)


_KIND_SPAN = re.compile("|".join(rx.pattern for _, rx in __import__("rag.metadata", fromlist=["KIND_WORDS"]).KIND_WORDS), re.I)


def keyword_query(question: str, index: "DocumentIndex") -> str:
    """The question without the names, periods and kind words the scope already applied.

    Inside a scope those words match every passage, yet their index-wide rarity would
    make keyword search favour passages that merely repeat them ("eBay", "Q2 2023").
    Dates stay: they pick table columns and sentences. Empty when little would remain.
    """
    q = unicodedata.normalize("NFKC", question or "").replace("’", "'")
    spans = [sp for sp, _, _ in _find_names(q, index.names)]
    spans += [sp for _, sp in find_periods(q)]
    spans += [m.span() for m in _KIND_SPAN.finditer(q)]
    if not spans:
        return ""
    keep, pos = [], 0
    for a, b in sorted(spans):
        if a > pos:
            keep.append(q[pos:a])
        pos = max(pos, b)
    keep.append(q[pos:])
    out = re.sub(r"(?<=\s)'s\b|^'s\b", " ", " ".join(keep))
    out = re.sub(r"\s+", " ", out).strip()
    return out if len(re.findall(r"\w+", out)) >= 2 else ""


def _select_periods(cands: list[DocInfo], m: Mentions) -> tuple[list[DocInfo], str | None]:
    """Documents matching the question's periods/dates; (cands, note) when nothing matches."""
    explicit = [p for p in m.periods if not p.bare]
    bare = [p for p in m.periods if p.bare]
    ended_dates = [d for d in m.dates if d.ended or d.span]
    point_dates = [d for d in m.dates if not (d.ended or d.span)]
    if not (explicit or bare or m.dates):
        return cands, None
    if explicit or ended_dates:
        scores = {}
        for d in cands:
            per = [period_score(p, d) for p in explicit] + [date_score(x, d) for x in ended_dates + point_dates]
            scores[d.doc_id] = per
        if m.comparison:
            chosen = set()
            for i in range(len(explicit) + len(ended_dates)):
                best = max((scores[d.doc_id][i] for d in cands), default=0)
                if best > 0:
                    chosen |= {d.doc_id for d in cands if scores[d.doc_id][i] == best}
            picked = [d for d in cands if d.doc_id in chosen]
        else:
            total = {k: sum(v) for k, v in scores.items()}
            best = max(total.values(), default=0)
            picked = [d for d in cands if best > 0 and total[d.doc_id] == best]
        if picked:
            return picked, None
        names = [p.label() for p in explicit] + [f"period ended {x.iso()}" for x in ended_dates]
        return cands, "no document for " + " / ".join(dict.fromkeys(names))
    if point_dates:
        picked = [d for d in cands if any(date_score(x, d) for x in point_dates)]
        if picked:
            return picked, None
    if bare:
        picked = [d for d in cands if any(period_score(p, d) for p in bare)]
        if picked:
            return picked, None
        return cands, "no document for " + " / ".join(str(p.year) for p in bare)
    return cands, None


def _select_kinds(cands: list[DocInfo], kinds: list[str]) -> tuple[list[DocInfo], str | None]:
    if not kinds:
        return cands, None
    for tier in (2, 1):
        picked = [d for d in cands if any(kind_tier(k, d.kind) >= tier for k in kinds)]
        if picked:
            return picked, None
    return cands, "no " + " / ".join(kinds)


def describe(docs: list[DocInfo], index: DocumentIndex, notes: list[str] | None = None) -> str:
    issuers = list(dict.fromkeys(index.display.get(d.issuer_key, d.issuer) for d in docs if d.issuer))
    kinds = list(dict.fromkeys(d.kind for d in docs if d.kind))
    periods = list(dict.fromkeys(d.period_label for d in docs if d.period_label))

    def cap(xs, n=3):
        return " / ".join(xs[:n]) + (f" / +{len(xs) - n}" if len(xs) > n else "")

    parts = [p for p in (cap(issuers), cap(kinds), cap(periods, 4)) if p]
    n = len(docs)
    text = " · ".join(parts) + f" ({n} document{'s' if n != 1 else ''})"
    if notes:
        text += "; " + "; ".join(notes)
    return text


def scope_question(question: str, documents: "list[dict] | DocumentIndex") -> Scope:
    """The documents a question is about (see the module docstring for the rules)."""
    index = document_index(documents)
    m = read_question(question, index)
    if m.empty or not index.docs:
        return Scope(None, "whole index", comparison=m.comparison)
    if not m.issuers and m.unknown:
        names = ", ".join(f"'{n}'" for n in m.unknown)
        if "news article" in m.kinds:  # an article names many companies: "per the article, where does Nvidia…"
            arts = [d for d in index.docs if d.kind == "news article"]
            if arts:
                return Scope([d.doc_id for d in arts], describe(arts, index), comparison=m.comparison)
        return Scope(None, f"whole index (no document matched {names})", fell_back=True, comparison=m.comparison,
                     notes=[f"no document matched {names}"])
    cands = [d for d in index.docs if d.issuer_key in m.issuers] if m.issuers else list(index.docs)
    notes: list[str] = []
    who = " / ".join(index.display.get(k, k) for k in m.issuers)
    if m.unknown:
        notes.append("no document matched " + ", ".join(f"'{n}'" for n in m.unknown))
    cands, note = _select_kinds(cands, m.kinds)
    if note:
        notes.append(note + (f" for {who}" if who else ""))
    if m.issuers or m.kinds or any(not p.bare for p in m.periods) or m.dates:
        cands, note = _select_periods(cands, m)
        if note:
            notes.append(note + (f" of {who}; searched its other documents" if who else ""))
    if not m.issuers and len(cands) == len(index.docs):
        if notes:
            return Scope(None, "whole index (" + "; ".join(notes) + ")", fell_back=True,
                         comparison=m.comparison, notes=notes)
        return Scope(None, "whole index", comparison=m.comparison)
    return Scope([d.doc_id for d in cands], describe(cands, index, notes), comparison=m.comparison,
                 issuers=list(m.issuers), notes=notes, query=keyword_query(question, index))


def filter_documents(documents: "list[dict] | DocumentIndex", *, company: str | list[str] | None = None,
                     kind: str | list[str] | None = None, period: str | list[str] | None = None,
                     doc: str | list[str] | None = None) -> Scope:
    """Explicit filters (all given ones must hold); no relaxation: no match -> no documents."""
    index = document_index(documents)
    cands = list(index.docs)
    said = []

    def as_list(v):
        if v is None:
            return []
        vals = [v] if isinstance(v, str) else list(v)
        return [x.strip() for s in vals for x in str(s).split(",") if x.strip()]

    docs = as_list(doc)
    if docs:
        cands = [d for d in cands if d.doc_id in docs]
        said.append("doc=" + ",".join(docs))
    companies = as_list(company)
    if companies:
        keys = set()
        for c in companies:
            ck = _key(c)
            for name, ks in index.names.items():
                nk = _key(name)
                if ck and (nk == ck or (len(ck) >= 3 and (ck in nk or nk == _key(short_name(c))))):
                    keys |= ks
            for k, disp in index.display.items():
                if ck and (ck == k or (len(ck) >= 3 and ck in _key(disp))):
                    keys.add(k)
        cands = [d for d in cands if d.issuer_key in keys]
        said.append("company=" + ",".join(companies))
    kinds = [normalize_kind(k) for k in as_list(kind)]
    if kinds:
        cands = [d for d in cands if any(kind_tier(k, d.kind) >= 2 for k in kinds)]
        said.append("kind=" + ",".join(kinds))
    periods = as_list(period)
    if periods:
        ps: list[Period] = []
        ds: list[DateMention] = []
        for p in periods:
            got = parse_period_label(p)
            ps += [Period(x.year, x.part, x.fiscal, bare=False) for x in got]
            ds += [d for d, _ in find_dates(p)]
        keep = []
        for d in cands:
            s = max([period_score(p, d) for p in ps] + [date_score(x, d) for x in ds] + [0])
            if s >= 2 or (s >= 1 and all(p.part is None for p in ps) and ps):
                keep.append(d)
        cands = keep
        said.append("period=" + ",".join(periods))
    if not cands:
        return Scope([], "no document matches " + " ".join(said), explicit=True)
    return Scope([d.doc_id for d in cands], describe(cands, index) + " [filters: " + " ".join(said) + "]",
                 explicit=True, comparison=len({d.issuer_key for d in cands}) > 1 and bool(companies) and len(companies) > 1)


def dominant_issuer(doc_ids: list[str], index: DocumentIndex) -> str | None:
    """The issuer of the best passage when passages come from several issuers, else None."""
    keys = [index.issuer_of(d) for d in doc_ids]
    if len(set(keys)) <= 1:
        return None
    return keys[0]


def issuer_documents(index: DocumentIndex, key: str, within: list[str] | None = None) -> list[str]:
    ids = [d.doc_id for d in index.docs if d.issuer_key == key]
    if within is not None:
        allowed = set(within)
        ids = [i for i in ids if i in allowed]
    return ids


def facets(documents: "list[dict] | DocumentIndex") -> dict:
    """Values for filter menus (UI): companies, kinds, periods and document ids."""
    index = document_index(documents)
    return {
        "company": sorted({index.display[d.issuer_key] for d in index.docs if d.issuer}),
        "kind": sorted({d.kind for d in index.docs if d.kind}),
        "period": sorted({d.period_label for d in index.docs if d.period_label}),
        "doc": [d.doc_id for d in index.docs],
    }
