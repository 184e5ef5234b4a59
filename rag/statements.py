"""Which financial statement a question needs, and which statement a page is.

Vocabulary in ``rag/data/statements.toml`` (statement titles and the line items read off
each statement, English and Chinese): general accounting knowledge kept as data, so a
user can extend it, and nothing here names an issuer.

English phrases match as contiguous stemmed words, stop words kept, so that a phrase does
not match across a clause ("statements of cash flows" = "statement of cash flow", but
"the statement, what was operating …" is not "statement of operations"), Chinese phrases
as substrings.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .text import CJK_CHAR as _CJK, keyword_tokens
from .vocabulary import vocabulary as vocabulary_file

VOCABULARY = Path(__file__).resolve().parent / "data" / "statements.toml"

@dataclass(frozen=True)
class _Phrase:
    statement: str
    text: str                 # normalised Chinese phrase ("" for English)
    words: tuple[str, ...]    # stemmed English words (() for Chinese)
    raw: str = ""             # as written in the vocabulary (lower-cased)


@dataclass(frozen=True)
class Vocabulary:
    titles: tuple[_Phrase, ...]
    items: tuple[_Phrase, ...]
    names: tuple[str, ...]
    concepts: tuple[tuple[_Phrase, tuple[str, ...]], ...] = ()   # (a measure's name, the items it needs)
    computed: frozenset[str] = frozenset()   # the measures computed from several items (a ratio, a margin)
    parent_titles: tuple[_Phrase, ...] = ()   # titles of the parent company's own statements
    parent_asked: tuple[_Phrase, ...] = ()    # how a question asks for the parent's own figures
    parent_tables: tuple[str, ...] = ()       # the label of a note table that is the parent's own ("本行")
    group_tables: tuple[str, ...] = ()        # the group's label ("本集团")


def _phrase(statement: str, raw: str) -> _Phrase:
    raw = unicodedata.normalize("NFKC", raw).lower().strip()
    if _CJK.search(raw):
        return _Phrase(statement, raw, (), raw)
    return _Phrase(statement, "", tuple(keyword_tokens(raw, keep_stopwords=True)), raw)


@lru_cache(maxsize=4)
def vocabulary(path: Path = VOCABULARY) -> Vocabulary:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{path}: cannot read the statements vocabulary ({e})") from None
    titles, items = [], []
    for name, spec in (data.get("statement") or {}).items():
        titles += [_phrase(name, t) for t in spec.get("titles", [])]
        items += [_phrase(name, t) for t in spec.get("items", [])]
    concepts, computed = [], set()
    for name, spec in (data.get("concept") or {}).items():
        needs = tuple(unicodedata.normalize("NFKC", t).lower() for t in spec.get("items", []))
        concepts += [(_phrase(name, n), needs) for n in spec.get("names", [])]
        if spec.get("computed", True):
            computed.add(name)
    parent = data.get("parent_only") or {}
    return Vocabulary(tuple(p for p in titles if p.text or p.words), tuple(p for p in items if p.text or p.words),
                      tuple((data.get("statement") or {}).keys()), tuple(concepts), frozenset(computed),
                      tuple(_phrase("parent", t) for t in parent.get("titles", [])),
                      tuple(_phrase("parent", t) for t in parent.get("asked", [])),
                      tuple(unicodedata.normalize("NFKC", t).lower() for t in parent.get("tables", [])),
                      tuple(unicodedata.normalize("NFKC", t).lower() for t in parent.get("group_tables", [])))


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1)):
        return True
    # a phrase also matches with words run together ("free cashflow" for "free cash flow")
    target = "".join(phrase)
    if n < 2 or target not in "".join(words):
        return False
    for i in range(len(words)):
        acc = ""
        for w in words[i:i + n]:
            acc += w
            if len(acc) >= len(target):
                break
        if acc == target:
            return True
    return False


def _read(text: str) -> tuple[str, list[str]]:
    """``text`` as phrases are matched against it: normalised, and its English words stemmed in order."""
    norm = unicodedata.normalize("NFKC", text or "").lower()
    return norm, (keyword_tokens(norm, keep_stopwords=True) if re.search(r"[a-z]", norm) else [])


def _holds(p: _Phrase, norm: str, words: list[str]) -> bool:
    """Whether a text read by ``_read`` holds the phrase (Chinese as a substring, English as words)."""
    return bool((p.text and p.text in norm) or (p.words and _contains(words, p.words)))


def _matches(text: str, kind: str) -> set[str]:
    """Statements whose ``kind`` of phrases ("titles" or "items"; "parent_titles" or "parent_asked", all of
    the one pseudo-statement "parent") ``text`` holds."""
    return set(_matches_cached(text, kind))


# Questions and page titles are matched against a few hundred phrases, and the same texts come back
# (one question is read by retrieval, the page ranker and the answerer; pages recur across questions).
@lru_cache(maxsize=4096)
def _matches_cached(text: str, kind: str) -> frozenset[str]:
    phrases = getattr(vocabulary(), kind)
    norm, words = _read(text)
    found = set()
    for p in phrases:
        if p.statement not in found and _holds(p, norm, words):
            found.add(p.statement)
    return frozenset(found)


def statements_named(text: str) -> set[str]:
    """Statements whose title ``text`` names ("Consolidated Statements of Cash Flows" -> cash_flow)."""
    return _matches(text, "titles")


def parent_only_page(context: str) -> bool:
    """Whether a page's title or section (its chunk context) is one of the parent company's own
    statements ("母公司利润表", "Condensed Financial Information of Registrant"), not the group's."""
    return bool(_matches_cached(context, "parent_titles"))


def parent_only_table(header: str) -> bool:
    """Whether a table's header (its lines above the first row) labels it the parent company's own: a
    line that is the parent's label alone or opens with it ("本行" over "2024年度 2023年度"), and no line
    naming the group ("本集团 本行" heads a table with both entities' columns)."""
    v = vocabulary()
    if not header or not v.parent_tables:
        return False
    lines = [unicodedata.normalize("NFKC", ln).strip().lower() for ln in header.split("\n") if ln.strip()]
    if any(g in ln for ln in lines for g in v.group_tables):
        return False
    return any(re.match(rf"{re.escape(p)}(?![a-z\u3400-\u9fff])", ln) for ln in lines for p in v.parent_tables)


def asks_parent_only(question: str) -> bool:
    """Whether a question asks for the parent company's own figures rather than the group's."""
    return bool(_matches_cached(question, "parent_asked"))


def title_phrases(statements) -> list[str]:
    """The titles of these statements as written (for a substring search of chunk contexts)."""
    return [p.raw for p in vocabulary().titles if p.statement in statements]


def concept_items(question: str) -> list[str]:
    """The line items the measures a question names are computed from ("capital intensive" ->
    capital expenditures, property plant and equipment, total assets, ...)."""
    return list(_concept_items(question))


def computed_items(question: str) -> list[str]:
    """The line items of the measures a question names that are computed from several of them (a margin,
    a ratio, working capital), not those that are one line item under other names (dividends)."""
    return list(_concept_items(question, True))


@lru_cache(maxsize=1024)
def _concept_items(question: str, computed_only: bool = False) -> tuple[str, ...]:
    norm, words = _read(question)
    v = vocabulary()
    out: list[str] = []
    for p, needs in v.concepts:
        if computed_only and p.statement not in v.computed:
            continue
        if _holds(p, norm, words) and not _names_its_item(p, needs, norm, words, v):
            out += [n for n in needs if n not in out]
    return tuple(out)


def _names_its_item(p: _Phrase, needs: tuple[str, ...], norm: str, words: list[str], v: "Vocabulary") -> bool:
    """Whether the question names one of a computed measure's items whose name holds the measure's name:
    "long-term debt" asks that line item, not leverage ("debt"), whose other items' rows would join it."""
    if p.statement not in v.computed:
        return False
    return any(p.raw in item and p.raw != item and _holds(_phrase(p.statement, item), norm, words) for item in needs)


def is_vocabulary_term(term: str) -> bool:
    """Whether ``term`` is itself a line item, measure or statement of the vocabulary ("PPNE", "capex",
    "EBITDA", "资产总计"): a word of financial reporting, not a name a passage must repeat."""
    raw = unicodedata.normalize("NFKC", term or "").lower().strip()
    v = vocabulary()
    return any(p.raw == raw for p in v.items + v.titles) or any(p.raw == raw for p, _ in v.concepts)


def statements_asked(question: str) -> dict[str, float]:
    """Statements a question needs: 1.0 for one it names, 0.5 for one its line items live on."""
    named = statements_named(question)
    implied = (_matches(question, "items") | _matches(" ; ".join(concept_items(question)), "items")) - named
    return {**{s: 1.0 for s in named}, **{s: 0.5 for s in implied}}


# "Total revenue" is the revenue a question asks for; "营业总成本" the 营业成本. Other words in an item's name
# make it another measure ("cost of revenue" is not revenue). (Stemmed, as keyword tokens are.)
TOTAL_WORDS = frozenset(keyword_tokens("total consolidated overall 合计 总计"))
_ZH_TOTAL = re.compile(r"合计|总计|总额|总")


def _item_key(p: _Phrase) -> str:
    if p.text:
        return _ZH_TOTAL.sub("", p.text)
    return " ".join(w for w in p.words if w not in TOTAL_WORDS)


@lru_cache(maxsize=8192)
def items_asked(text: str) -> frozenset[str]:
    """The line items and measures ``text`` names (each as a key that "total"/合计 does not change),
    every one it holds, a longer name's parts included, and every other name of a line item it names
    (``measures.toml``: "cash flow from operating activities" asks "net cash provided by operating
    activities" too)."""
    norm, words = _read(text)
    keys = frozenset(_item_key(p) for p in vocabulary().items if _holds(p, norm, words))
    named = [group for group in _synonym_keys() if any(_holds(p, norm, words) for p in group[1])]
    return keys.union(*(group[0] for group in named)) if named else keys


@lru_cache(maxsize=1)
def _synonym_keys() -> tuple[tuple[frozenset[str], tuple[_Phrase, ...]], ...]:
    """Each line item of ``rag/data/measures.toml`` as (the keys of all its names, its names as phrases)."""
    groups = []
    for spec in (vocabulary_file("measures").get("line_item") or {}).values():
        phrases = tuple(p for p in (_phrase("", n) for n in spec.get("names", [])) if p.text or p.words)
        if phrases:
            groups.append((frozenset(_item_key(p) for p in phrases), phrases))
    return tuple(groups)


@lru_cache(maxsize=1)
def chinese_items() -> tuple[str, ...]:
    """The vocabulary's Chinese line items and measures, as written."""
    return tuple(dict.fromkeys(p.text for p in vocabulary().items if p.text))


@lru_cache(maxsize=1)
def _items_longest_first() -> tuple[_Phrase, ...]:
    return tuple(sorted(vocabulary().items, key=lambda p: -len(p.text or " ".join(p.words))))


@lru_cache(maxsize=8192)
def tokens_outside_other_items(text: str, asked: frozenset[str]) -> frozenset[str]:
    """``text``'s keyword tokens less those inside the name of a line item that is not ``asked``
    (from ``items_asked``): in "Cost of revenue was …" or "营业成本占收入的比例" the word revenue or the
    token 营业 belongs to another measure's name and says nothing of the revenue asked about. Longer
    names are taken first, so "cost of revenue" is one item, not "revenue" inside it."""
    norm = unicodedata.normalize("NFKC", text or "").lower()
    phrases = _items_longest_first()
    for p in phrases:
        if p.text and p.text in norm and _item_key(p) not in asked:
            norm = norm.replace(p.text, " ")
    toks = keyword_tokens(norm, keep_stopwords=True)
    drop = [False] * len(toks)
    for p in phrases:
        n = len(p.words)
        if not n:
            continue
        for i in range(len(toks) - n + 1):
            if tuple(toks[i:i + n]) == p.words and all(d is False for d in drop[i:i + n]):
                if _item_key(p) not in asked:
                    drop[i:i + n] = [True] * n
                else:   # an asked item keeps its words, and no shorter name inside it is taken from them
                    drop[i:i + n] = [None] * n
    return frozenset(t for t, d in zip(toks, drop) if d is not True)
