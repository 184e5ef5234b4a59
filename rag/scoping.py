"""Scoping a question to the documents it is about: a scored preference, not a trap.

A question may name a company (issuer, short name, ticker, a name from the user's alias file, or
the name a file name begins with; see ``rag.company_names`` for how loosely), a period (Q1 2023,
2023Q1, FY2025, 2025财年, six months ended September 30, 2022, 截至2025年3月31日止年度) or a kind
(10-K, annual report, 年度报告, earnings release, 新闻).

- A company named unambiguously (every name it uses belongs to one issuer; or several named
  issuers in a comparison): its documents only, the ids going into the store query. Inside it,
  kind and period choose the documents, relaxed in a fixed order (kind, then period) when they
  match nothing, each relaxation said in the scope text.
- Otherwise (no company, or a name several issuers share, or only a file name matched): the
  documents that kind, period and the names point at are *preferred* (``Scope.preferred``); the
  whole index is searched too and the two result lists are fused with the preferred ones ahead
  (``fuse_preferring``).
- A company the question names that nothing in the index matches: when that can be told for sure
  (every document that could answer is written, and named, in the script the question used, and
  the name is nowhere in the indexed text) the scope lists it in ``absent`` and the assistant
  abstains; otherwise the whole index is searched and the scope says the name did not match.

Explicit filters (``--company/--kind/--period/--doc``) use the same matching but never relax:
no match means no documents. Multi-company corpora: unless the question asks for a comparison,
an answer cites one issuer's documents only (see :func:`dominant_issuer`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .company_names import company_candidates, find_names, same_company, strip_org_ending
from .document_index import DocInfo, DocumentIndex, document_index, issuer_key
from .metadata import (DateMention, Period, any_kind_word, find_dates, find_kinds, find_periods, kind_family,
                       name_key, normalize_kind, parse_period_label)
from .patterns import has_cjk


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
    preferred: list[str] | None = None   # soft scope: search these first and the whole index too
    absent: list[str] = field(default_factory=list)    # companies named that the index surely does not hold

    @property
    def whole_index(self) -> bool:
        return self.doc_ids is None

    @property
    def documents(self) -> list[str] | None:
        """The documents the scope points at, hard or preferred (None: no preference)."""
        return self.doc_ids if self.doc_ids is not None else self.preferred


_COMPARE = re.compile(
    r"\b(compare[sd]?|comparing|comparison|versus|vs\.?|relative to|differ(?:ence|ent)?|both|each of|respectively|"
    r"which (?:company|of)|between)\b|对比|比较|比較|相比|相较|分别|分別|哪家|谁的|两家|两者|各自", re.I)


def is_comparison(question: str) -> bool:
    return bool(_COMPARE.search(question or ""))


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
    """3: a period of the document ends on that date; 2: the document is dated that day (an 8-K's
    Date of Report, a release's dateline)."""
    if any(e == dm.value for e in doc.ends):
        return 3
    if doc.published is not None and doc.published == dm.value and not dm.ended:
        return 2
    return 0


def kind_tier(q_kind: str, doc_kind: str) -> int:
    """2 same kind, 1 same family (a 10-K is an annual report), 0 other."""
    if not doc_kind:
        return 0
    family = kind_family()
    if q_kind == doc_kind:
        return 2
    if family.get(doc_kind) == q_kind:
        return 2 if q_kind in ("annual report", "quarterly report") else 1
    if family.get(q_kind) == doc_kind:
        return 1
    return 0


@dataclass
class Mentions:
    issuers: list[str]                # issuer keys named, in order of mention
    unknown: list[str]                # names of companies nothing in the index matches
    periods: list[Period]
    dates: list[DateMention]
    kinds: list[str]
    comparison: bool
    weak: bool = False                # a name several issuers share, or only a file name matched

    @property
    def empty(self) -> bool:
        return not (self.issuers or self.unknown or self.periods or self.dates or self.kinds)


def read_question(question: str, index: DocumentIndex) -> Mentions:
    q = unicodedata.normalize("NFKC", question or "")
    known = find_names(q, index.names)
    issuers: list[str] = []
    spans = []
    sure: set[str] = set()          # issuers named by a name only they have
    loose: set[str] = set()         # issuers named by a shared name or a file name only
    for span, key in known:
        spans.append(span)
        groups = index.key_groups.get(key, set())
        if len(groups) == 1 and key in index.strong_keys:
            sure |= groups
        else:
            loose |= groups
        for k in sorted(groups):
            if k not in issuers:
                issuers.append(k)
    weak = bool(loose - sure)
    unknown = []
    all_names = [n.name for ns in index.names.values() for n in ns]
    for name, span in company_candidates(q):
        if any(not (span[1] <= a or span[0] >= b) for a, b in spans):
            continue
        stripped = strip_org_ending(name)
        if any(same_company(name, n) or same_company(stripped, n) for n in all_names):
            continue
        unknown.append(name)
    periods = [p for p, _ in find_periods(q)]
    dates = [d for d, _ in find_dates(q)]
    kinds = find_kinds(q)
    if "interim report" in kinds:  # "fiscal 2025 interim report" = the first half of FY2025
        periods = [Period(p.year, "H1", True) if (p.part is None and not p.bare) else p for p in periods]
    comparison = is_comparison(q) or len(issuers) > 1 and not weak
    return Mentions(issuers, list(dict.fromkeys(unknown)), periods, dates, kinds, comparison, weak)


def keyword_query(question: str, index: "DocumentIndex") -> str:
    """The question without the names, periods and kind words the scope already applied.

    Inside a scope those words match every passage, yet their index-wide rarity would
    make keyword search favour passages that merely repeat them ("Acme", "Q2 2023").
    Dates stay: they pick table columns and sentences. Empty when little would remain.
    """
    q = unicodedata.normalize("NFKC", question or "").replace("’", "'")
    spans = [sp for sp, _ in find_names(q, index.names)]
    spans += [sp for _, sp in find_periods(q)]
    spans += [m.span() for m in any_kind_word().finditer(q)]
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
        best = max((max(date_score(x, d) for x in point_dates) for d in cands), default=0)
        picked = [d for d in cands if best and max(date_score(x, d) for x in point_dates) == best]
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


def _surely_absent(names: list[str], relevant: list[DocInfo], mentioned) -> list[str]:
    """The names among ``names`` that the index surely does not hold: every relevant document can
    rule the name out (its text and one of its names are in the name's script: a Chinese report
    cannot rule out 'Globex', which it might discuss under a Chinese name), and the name is nowhere in the
    indexed text (``mentioned``, when given)."""
    out = []
    for n in names:
        script = "cjk" if has_cjk(n) else "latin"
        if n.isdigit():
            if not all(any(x.kind == "ticker" for x in d.names) for d in relevant):
                continue
        elif not all(script in d.scripts for d in relevant):
            continue
        if mentioned is not None and (mentioned(n) or mentioned(strip_org_ending(n))):
            continue
        out.append(n)
    return out


def scope_question(question: str, documents: "list[dict] | DocumentIndex", mentioned=None) -> Scope:
    """The documents a question is about (see the module docstring for the rules).

    ``mentioned(name) -> bool``, when given, says whether a name appears anywhere in the indexed
    text (a company the documents discuss is not "absent" even when none of them is its own)."""
    index = document_index(documents)
    m = read_question(question, index)
    if m.empty or not index.docs:
        return Scope(None, "whole index", comparison=m.comparison)
    if not m.issuers and m.unknown:
        names = ", ".join(f"'{n}'" for n in m.unknown)
        if "news article" in m.kinds:  # an article names many companies: "per the article, where does Globex…"
            arts = [d for d in index.docs if d.kind == "news article"]
            if arts:
                return Scope([d.doc_id for d in arts], describe(arts, index), comparison=m.comparison)
        relevant, _ = _select_kinds(list(index.docs), m.kinds)
        if any(not p.bare for p in m.periods) or m.dates:
            relevant, _ = _select_periods(relevant, m)
        absent = _surely_absent(m.unknown, relevant, mentioned)
        if absent or len(relevant) == len(index.docs):
            return Scope(None, f"whole index (no document matched {names})", fell_back=True, comparison=m.comparison,
                         notes=[f"no document matched {names}"], absent=absent)
        # a name that may be written differently in the documents (a Chinese name asked of English reports):
        # period and kind still point at the documents to prefer
        return Scope(None, f"whole index (no document matched {names}), preferring " + describe(relevant, index),
                     fell_back=True, comparison=m.comparison, notes=[f"no document matched {names}"],
                     query=keyword_query(question, index), preferred=[d.doc_id for d in relevant])
    notes: list[str] = []
    if m.unknown and m.comparison:
        # beside a company the index holds, another name is usually its segment, subsidiary or product
        # ("示例集团…云计算集团"); only a comparison asks about it as a company of its own
        notes.append("no document matched " + ", ".join(f"'{n}'" for n in m.unknown))
    hard = bool(m.issuers) and not m.weak
    cands = [d for d in index.docs if d.issuer_key in m.issuers] if m.issuers else list(index.docs)
    who = " / ".join(index.display.get(k, k) for k in m.issuers) if hard else ""
    cands, note = _select_kinds(cands, m.kinds)
    if note:
        notes.append(note + (f" for {who}" if who else ""))
    if m.issuers or m.kinds or any(not p.bare for p in m.periods) or m.dates:
        cands, note = _select_periods(cands, m)
        if note:
            notes.append(note + (f" of {who}; searched its other documents" if who else ""))
    if hard:
        return Scope([d.doc_id for d in cands], describe(cands, index, notes), comparison=m.comparison,
                     issuers=list(m.issuers), notes=notes, query=keyword_query(question, index))
    if len(cands) == len(index.docs):
        if notes:
            return Scope(None, "whole index (" + "; ".join(notes) + ")", fell_back=True,
                         comparison=m.comparison, notes=notes)
        return Scope(None, "whole index", comparison=m.comparison)
    return Scope(None, "whole index, preferring " + describe(cands, index, notes), comparison=m.comparison,
                 issuers=list(m.issuers), notes=notes, query=keyword_query(question, index),
                 preferred=[d.doc_id for d in cands])


def fuse_preferring(scoped: list, unscoped: list, k: int, weight: float = 1.5) -> list:
    """Passages from a soft scope and from the whole index in one ranking, the scope's ahead.

    Reciprocal-rank fusion (k=60, as in retrieval) in which the scoped ranking counts ``weight``
    times: a passage of a preferred document usually appears in both rankings and rises, while a
    passage that only the whole-index search found can still enter when it ranks high there.
    Passages are LangChain Documents identified by ``metadata["chunk_id"]``."""
    scores: dict[str, float] = {}
    by_id: dict[str, object] = {}
    for w, ranking in ((weight, scoped), (1.0, unscoped)):
        for rank, d in enumerate(ranking):
            cid = d.metadata["chunk_id"]
            by_id.setdefault(cid, d)
            scores[cid] = scores.get(cid, 0.0) + w / (60 + rank + 1)
    order = sorted(scores, key=lambda c: -scores[c])
    return [by_id[c] for c in order[:k]]


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
            for d in index.docs:
                if any(same_company(c, n.name) for n in d.names if n.kind != "file") or \
                        name_key(c) in {n.key for n in d.names}:
                    keys.add(d.issuer_key)
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


__all__ = ["DocInfo", "DocumentIndex", "Mentions", "Scope", "date_score", "describe", "document_index",
           "dominant_issuer", "facets", "filter_documents", "fuse_preferring", "is_comparison", "issuer_documents",
           "issuer_key", "keyword_query", "kind_tier", "period_score", "read_question", "scope_question"]
