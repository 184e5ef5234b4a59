"""Company names in questions: the index's names a question mentions, and names of companies it
may not hold.

Matching is loose in the ways people write names and strict where words are common:
case, spacing, punctuation and "&"/"and" do not matter ("ACMEFOODS" ~ "Acme Foods",
"Acme and Sons" ~ "Acme & Sons", "示例科技Ａ" ~ "示例科技A"), but a ticker must be written with
capitals ("COST" is a ticker, "cost" is not; "AcF" ~ ACF) and a one-word name must be capitalised.

``company_candidates`` finds what looks like a company name in a question without knowing the
index: English possessives ("Globex's"), names with a legal suffix ("Foo Holdings"), tickers in
parentheses or after an exchange ("(XYZ)", "NYSE: XYZ"), names after "for/of/at/by"
at the end of a clause, capitalised Latin words inside a Chinese question, Chinese names
ending in 公司/集团/控股/银行/证券/保险, and the Chinese words a question opens with right before a
year ("示例科技2025年…"). Words that are finance terms, periods or question words
(``rag/data/issuers.toml`` [not_names]) are not candidates.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .metadata.issuers import name_key, name_tokens
from .patterns import CJK_RANGES
from .vocabulary import vocabulary

_TOKEN = re.compile(rf"[0-9a-z]+|[{CJK_RANGES}]")


@dataclass(frozen=True)
class IndexName:
    name: str
    key: str
    kind: str          # "name", "ticker" or "file" (the name a file name begins with)


def _question_tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) over the NFKC text, lower-cased; 'and' dropped as in ``name_key``."""
    low = unicodedata.normalize("NFKC", text or "").lower().replace("’", "'")
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(low) if m.group(0) != "and"]


def _is_cjk(tok: str) -> bool:
    return bool(re.match(rf"[{CJK_RANGES}]", tok))


def find_names(text: str, names: dict[str, list[IndexName]]) -> list[tuple[tuple[int, int], str]]:
    """Non-overlapping mentions of the index's names in ``text`` (longest first): (span, key).

    ``names`` maps a name key to the names with that key. A run of the question's tokens whose
    concatenation is a key matches; for Latin tokens the run covers whole words."""
    t = unicodedata.normalize("NFKC", text or "").replace("’", "'")
    toks = _question_tokens(t)
    maxlen = max((len(k) for k in names), default=0)
    hits = []
    for i in range(len(toks)):
        acc = ""
        for j in range(i, len(toks)):
            acc += toks[j][0]
            if len(acc) > maxlen:
                break
            entries = names.get(acc)
            if not entries:
                continue
            a, b = toks[i][1], toks[j][2]
            if _accept(t, a, b, entries):
                hits.append(((a, b), acc))
    hits.sort(key=lambda h: (-(h[0][1] - h[0][0]), h[0][0]))
    taken: list[tuple[int, int]] = []
    out = []
    for (a, b), key in hits:
        if any(not (b <= x or a >= y) for x, y in taken):
            continue
        taken.append((a, b))
        out.append(((a, b), key))
    out.sort(key=lambda h: h[0][0])
    return out


def _accept(text: str, a: int, b: int, entries: list[IndexName]) -> bool:
    said = text[a:b]
    if _is_cjk(said[:1]):
        return True
    if said.isdigit():
        # a listing code, not an amount or a year ("600999", not "2024年" or "$1,000")
        return not re.search(r"[\d.,$]$", text[:a]) and not re.match(r"\s*年", text[b:])
    upper = sum(c.isupper() for c in said)
    for e in entries:
        if e.kind == "ticker":
            if upper >= 2 or (len(said) == 1 and said.isupper() and re.search(r"[(（]\s*$", text[:a])):
                return True
        elif len(name_tokens(e.name)) > 1 or re.search(r"\d", said):
            return True                       # several words, or a name like 3D: any case
        elif upper >= 1:
            return True                       # one word: capitalised ("Crown", not "crown jewels")
    return False


# -- names of companies the index may not hold -------------------------------------------------

@functools.lru_cache(maxsize=1)
def _vocab():
    v = vocabulary("issuers")
    not_names = frozenset(w.lower() for w in v["not_names"]["en"])
    legal = sorted(v["legal_suffixes"]["en"], key=len, reverse=True)
    endings = sorted(v["org_endings"]["zh"], key=len, reverse=True)
    return not_names, legal, endings, v["org_endings"]["not_in_name_zh"], v["exchanges"]["ticker_prefixes"]


_CAP = r"(?:[A-Z][\w&'’.\-]*|[a-z]+[A-Z][\w&'’.\-]*|\d+[A-Z][\w&]*)"


def _strip_not_names(words: list[str]) -> list[str]:
    not_names = _vocab()[0]
    while words and words[0].lower().strip("'’.") in not_names:
        words = words[1:]
    while words and words[-1].lower().strip("'’.") in not_names and len(words) > 1:
        words = words[:-1]
    if not words or all(w.lower().strip("'’.,") in not_names or re.fullmatch(r"(?:FY|Q[1-4]|H[12])?\d*", w) for w in words):
        return []
    return words


def company_candidates(question: str) -> list[tuple[str, tuple[int, int]]]:
    """Strings in ``question`` that look like company names, with their spans (see the module docstring)."""
    q = unicodedata.normalize("NFKC", question or "").replace("’", "'")
    not_names, legal, endings, not_in_zh, prefixes = _vocab()
    found: list[tuple[str, tuple[int, int]]] = []

    def add(s: str, a: int, b: int):
        s = s.strip(" ,.'")
        if len(name_key(s)) >= 2 and not any(not (b <= x or a >= y) for _, (x, y) in found):
            found.append((s, (a, b)))

    # "Globex's", "Acme Foods's", "AcF's"
    for m in re.finditer(rf"((?:{_CAP})(?:\s+(?:{_CAP}|&|of|and))*)'s\b", q):
        words = _strip_not_names(m.group(1).split())
        if words:
            s = " ".join(words)
            add(s, m.start(1) + m.group(1).rfind(s), m.end(1))
    # names with a legal suffix: "Foo Holdings", "Bar Corp."
    suffix = "|".join(re.escape(x) for x in legal)
    for m in re.finditer(rf"((?:{_CAP}\s+){{1,4}}(?:{suffix}))(?![\w])", q):
        words = _strip_not_names(m.group(1).split()[:-1])
        if words:
            add(m.group(1), m.start(1), m.end(1))
    # tickers: "(XYZ)", "NYSE: XYZ", and listing codes "(600000)"
    for m in re.finditer(r"[(（]\s*([A-Z]{2,5}(?:\.[A-Z])?|\d{4,6})\s*[)）]", q):
        if m.group(1).lower() not in not_names:
            add(m.group(1), m.start(1), m.end(1))
    pre = "|".join(re.escape(p) for p in prefixes)
    for m in re.finditer(rf"\b(?:{pre})\s*[:：]\s*([A-Z]{{1,5}})\b", q):
        add(m.group(1), m.start(1), m.end(1))
    # "… for Acme Widgets?", "… at Acme in 2023"
    for m in re.finditer(rf"\b(?:for|of|at|by|from|about)\s+((?:{_CAP})(?:\s+(?:{_CAP}|&))*)"
                         r"(?=\s*(?:[?.,;:!]|$|\s+(?:in|during|for|as|between|from|on|to|and|over|since|compared)\b))", q):
        words = _strip_not_names(m.group(1).split())
        if words and not all(w.isupper() and len(w) <= 5 and not re.search(r"[a-z]", w) and w.lower() in not_names
                             for w in words):
            s = " ".join(words)
            add(s, m.start(1) + m.group(1).find(s), m.start(1) + m.group(1).find(s) + len(s))
    # capitalised Latin words in a Chinese question: "Globex 2023财年", "eGlobex的"
    if re.search(rf"[{CJK_RANGES}]", q):
        latin = r"[A-Za-z0-9&'.]"
        for m in re.finditer(rf"(?<![A-Za-z0-9-])((?:[A-Z][a-z]{latin}*|[a-z]+[A-Z]{latin}*)(?:\s+[A-Z][a-z]{latin}*)*)"
                             r"(?![A-Za-z0-9_-])", q):
            words = _strip_not_names(m.group(1).split())
            if words:
                add(" ".join(words), m.start(1), m.end(1))
    # Chinese names ending in 公司/集团/控股/银行/证券/保险
    end_alt = "|".join(re.escape(e) for e in endings)
    for m in re.finditer(rf"([^\W\d_{re.escape(not_in_zh)}A-Za-z]{{2,10}}?[A-Z]?)({end_alt})", q):
        stem = m.group(1)
        if not re.fullmatch(rf"[{CJK_RANGES}]+[A-Z]?", stem):
            continue
        a = m.start(1)
        if stem[0] in "家个间所" and a > 0 and q[a - 1] in "哪这那一每各该此某":
            continue          # "哪家美国芯片公司", "这家公司": a description, not a name
        # the name starts after a particle, punctuation, a digit or Latin text
        add(stem + m.group(2), a, m.end(2))
    # a question that opens with a short run of Chinese characters right before a year names its
    # company there: "示例科技2025年营业收入是多少？"
    m = re.match(rf"\s*([{CJK_RANGES}]{{2,8}}[A-Z]?)\s*(?:(?:19|20)\d{{2}}|FY)", q)
    if m and m.group(1) not in _not_subjects() and not any(m.group(1).startswith(w) for w in _not_subjects()):
        add(m.group(1), m.start(1), m.end(1))
    found.sort(key=lambda f: f[1][0])
    return found


@functools.lru_cache(maxsize=1)
def _not_subjects() -> frozenset[str]:
    return frozenset(vocabulary("issuers")["org_endings"]["not_subjects_zh"])


def same_company(candidate: str, name: str) -> bool:
    """Whether a candidate from a question and an index name denote the same company, loosely:
    one's words begin the other's ('Globex' ~ 'Globex Communications Inc.', '示例公司' ~ '示例')."""
    a, b = name_key(candidate), name_key(name)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 2 or (not _is_cjk(short[0]) and len(short) < 3):
        return False
    return long_.startswith(short)


def strip_org_ending(name: str) -> str:
    """'示例控股' -> '示例', '样本公司' -> '样本' (the name without a Chinese organisation ending)."""
    for e in _vocab()[2]:
        if name.endswith(e) and len(name) > len(e) + 1:
            return name[: -len(e)]
    return name
