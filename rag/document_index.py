"""The catalog's documents as scoping sees them: each one's names, kind, periods and dates, and which
documents belong to one issuer.

Names come from the metadata (issuer, short names, tickers), the name a file name begins with, and
the user's alias file. Documents sharing a legal name or a ticker are one issuer (a Chinese report
that gives its English legal name and an English report of the same company meet); a document with
no legal name (an article known by a short name) joins the issuer whose short name it shares.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

from .company_names import IndexName
from .metadata import AliasBook, Period, name_key, normalize_kind, parse_iso_date, parse_period_label, period_ends, short_name
from .metadata.generic import filename_name
from .patterns import has_cjk


@dataclass
class DocInfo:
    doc_id: str
    issuer: str            # display name ("" if unknown)
    issuer_key: str        # groups documents of one issuer
    names: list[IndexName]
    kind: str
    periods: list[Period]
    ends: list[date]
    published: date | None
    period_label: str
    scripts: frozenset = frozenset()     # "latin" / "cjk": scripts in which it can rule out a company name

    @staticmethod
    def from_catalog(doc: dict, aliases: AliasBook | None = None) -> "DocInfo":
        m = doc.get("meta") or {}
        issuer = (m.get("issuer") or "").strip()
        names: list[IndexName] = []

        def add(n: str, kind: str):
            n = (n or "").strip()
            k = name_key(n)
            if len(k) >= 2 or (kind == "ticker" and k):
                names.append(IndexName(n, k, kind))

        for n in [issuer, short_name(issuer), *(m.get("aliases") or [])]:
            add(n, "name")
        for t in m.get("tickers") or []:
            add(str(t), "ticker")
        fname = filename_name(doc.get("source") or doc.get("doc_id") or "")
        if fname:
            # a file name that agrees with the document's own names is as good as a name
            fkey = name_key(fname)
            agrees = any(len(fkey) >= 3 and (x.key.startswith(fkey) or fkey.startswith(x.key) and len(x.key) >= 3)
                         for x in names if x.kind == "name")
            add(fname, "name" if agrees else "file")
        if aliases is not None:
            for n in aliases.extra_names([x.name for x in names]):
                add(n, "ticker" if re.fullmatch(r"[A-Z][A-Z0-9.]{0,5}", n) else "name")
        first: dict = {}
        for x in names:                      # the first spelling of a name is kept (the issuer's, not the file's)
            first.setdefault((x.key, x.kind), x)
        uniq = list(first.values())
        # the scripts in which a company name can be ruled out for this document: it has a name in
        # that script and its text is in that language (a Chinese report may discuss a US company
        # under its Chinese name, so it cannot rule out an English one, whatever its own names)
        language = (m.get("language") or "").lower()
        scripts = set()
        for x in uniq:
            if x.kind == "file":
                continue
            if has_cjk(x.name) and language in ("zh", ""):
                scripts.add("cjk")
            if re.search(r"[A-Za-z]", x.name) and language in ("en", ""):
                scripts.add("latin")
        periods = parse_period_label(m.get("period") or "")
        return DocInfo(doc["doc_id"], issuer, issuer_key(issuer, doc["doc_id"]), uniq,
                       normalize_kind(m.get("kind") or ""), periods, period_ends(periods, m.get("period_end") or ""),
                       _loose_date(m.get("date") or ""), m.get("period") or "", frozenset(scripts))


def issuer_key(issuer: str, doc_id: str = "") -> str:
    """A key for one issuer's name (documents that share names are grouped further in ``DocumentIndex``)."""
    if not issuer:
        return f"doc:{doc_id}"
    return name_key(short_name(issuer)) or name_key(issuer)


def _loose_date(s: str) -> date | None:
    d = parse_iso_date(s)
    if d:
        return d
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", s.strip())
    if m:
        return date(int(m.group(1)), int(m.group(2) or 1), 1)
    return None


class DocumentIndex:
    """The catalog's documents as scoping sees them (rebuilt when the catalog or the aliases change).

    Documents sharing a name (issuer, short name, alias or ticker; not a file name) are one issuer:
    a Chinese report that gives its English name and an English report of the same company meet."""

    def __init__(self, documents: list[dict], aliases: AliasBook | None = None):
        self.docs = [DocInfo.from_catalog(d, aliases) for d in documents]
        self.by_id = {d.doc_id: d for d in self.docs}
        parent = {d.doc_id: d.doc_id for d in self.docs}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        # documents are one issuer when they share a legal name or a ticker; a document that has no
        # legal name (an article known by a short name) joins the issuer whose short name it shares.
        # Two issuers with different legal names stay apart even when a short name is the same
        owner: dict[str, str] = {}
        for legal_only in (True, False):
            for d in self.docs:
                has_legal = any(_is_legal(n) for n in d.names)
                for n in d.names:
                    if n.kind == "file" or not _strong(n.key) or (legal_only and not _is_legal(n)):
                        continue
                    if not legal_only and has_legal:
                        continue
                    other = owner.setdefault(n.key, d.doc_id)
                    if other != d.doc_id:
                        parent[find(d.doc_id)] = find(other)
            if legal_only:   # short names of documents with a legal name, for the second pass
                for d in self.docs:
                    if any(_is_legal(n) for n in d.names):
                        for n in d.names:
                            if n.kind != "file" and _strong(n.key):
                                owner.setdefault(n.key, d.doc_id)
        # a group is named after the issuer name most of its documents give (the longest on a tie)
        issuers: dict[str, list[str]] = {}
        for d in self.docs:
            if d.issuer:
                issuers.setdefault(find(d.doc_id), []).append(d.issuer)
        group_name = {root: max(names, key=lambda n: (names.count(n), len(n))) for root, names in issuers.items()}
        self.display: dict[str, str] = {}
        for d in self.docs:
            name = group_name.get(find(d.doc_id))
            if name:
                d.issuer_key = issuer_key(name, d.doc_id)
                self.display.setdefault(d.issuer_key, name)
            else:
                self.display.setdefault(d.issuer_key, d.doc_id)
        self.names: dict[str, list[IndexName]] = {}
        self.key_groups: dict[str, set[str]] = {}
        for d in self.docs:
            for n in d.names:
                self.names.setdefault(n.key, [])
                if n not in self.names[n.key]:
                    self.names[n.key].append(n)
                self.key_groups.setdefault(n.key, set()).add(d.issuer_key)
        self.strong_keys = {k for k, ns in self.names.items() if any(n.kind != "file" for n in ns)}

    def issuer_of(self, doc_id: str) -> str:
        d = self.by_id.get(doc_id)
        return d.issuer_key if d else f"doc:{doc_id}"


def _is_legal(n: IndexName) -> bool:
    """A ticker or a full legal name ('Acme Rockets Corporation', '示例科技股份有限公司')."""
    return n.kind == "ticker" or short_name(n.name) != n.name


def _strong(key: str) -> bool:
    return key.isdigit() or len(key) >= 3 or (len(key) >= 2 and has_cjk(key))


_CACHE: dict[str, DocumentIndex] = {}


def document_index(documents: "list[dict] | DocumentIndex", aliases: AliasBook | None = None) -> DocumentIndex:
    if isinstance(documents, DocumentIndex):
        return documents
    sig = hashlib.sha1(json.dumps([(d["doc_id"], d.get("version"), d.get("source"), d.get("meta")) for d in documents],
                                  ensure_ascii=False, sort_keys=True, default=str).encode()
                       + (aliases.signature().encode() if aliases else b"")).hexdigest()
    idx = _CACHE.get(sig)
    if idx is None:
        if len(_CACHE) > 16:
            _CACHE.clear()
        idx = _CACHE[sig] = DocumentIndex(documents, aliases)
    return idx


