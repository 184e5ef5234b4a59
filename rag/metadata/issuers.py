"""Issuer names: comparison keys, short names, legal-name shapes, and the user's alias file.

Nothing here names a company. A document's names come from the document (see ``rag.metadata.infer``);
a user may add more (tickers, house abbreviations, a name in the other language) in an alias file:

``<index>/aliases.toml`` and the files listed in ``RAG_ALIASES`` (separated by the path separator),
each holding entries like::

    [[company]]
    names = ["Example Holdings Inc.", "EXH", "例子控股"]

Any document one of whose names (issuer, aliases, tickers, or the name its file name begins
with) equals one of an entry's names, loosely, is also known by the entry's other names.
``rag/data/aliases.toml`` documents the format with commented examples.
"""
from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..patterns import CJK_RANGES
from ..vocabulary import vocabulary

_TOKEN = re.compile(rf"[0-9a-z]+|[{CJK_RANGES}]")


def name_tokens(name: str) -> list[str]:
    """Words of a name for comparison: NFKC, lower case, letters/digits/CJK; '&' and 'and' dropped."""
    s = unicodedata.normalize("NFKC", name or "").lower().replace("’", "'")
    return [t for t in _TOKEN.findall(s) if t != "and"]


def name_key(name: str) -> str:
    """Comparison key: 'Acme & Sons' ~ 'ACME_SONS' ~ 'acme and sons', 'ACMEFOODS' ~ 'Acme Foods',
    '示例科技Ａ' ~ '示例科技A'."""
    return "".join(name_tokens(name))


@functools.lru_cache(maxsize=1)
def _suffix_res() -> tuple[re.Pattern, re.Pattern]:
    v = vocabulary("issuers")["legal_suffixes"]
    en = sorted(v["en"], key=len, reverse=True)
    zh = sorted(v["zh"], key=len, reverse=True)
    rx_en = re.compile(r"[,\s]+(?:" + "|".join(re.escape(s) for s in en) + r")$", re.I)
    rx_zh = re.compile("(?:" + "|".join(re.escape(s) for s in zh) + ")$")
    return rx_en, rx_zh


def short_name(name: str) -> str:
    """'Acme Wholesale Corporation' -> 'Acme Wholesale'; '示例银行股份有限公司' -> '示例银行'."""
    rx_en, rx_zh = _suffix_res()
    s = (name or "").strip()
    for _ in range(2):
        s2 = rx_zh.sub("", rx_en.sub("", s)).strip(" ,")
        if len(name_key(s2)) < 2 or s2 == s:
            break
        s = s2
    return s


@functools.lru_cache(maxsize=1)
def zh_legal_name() -> re.Pattern:
    """A full Chinese legal name ('…股份有限公司', '…集团控股有限公司')."""
    ends = sorted(vocabulary("issuers")["legal_suffixes"]["zh_legal"], key=len, reverse=True)
    return re.compile(rf"([{CJK_RANGES}（）()]{{2,24}}?(?:" + "|".join(re.escape(e) for e in ends) + "))")


@functools.lru_cache(maxsize=1)
def en_legal_name() -> re.Pattern:
    """An English legal name in running text ('Acme Rockets Corporation', 'ACME GROUP HOLDING LIMITED')."""
    ends = sorted(vocabulary("issuers")["legal_suffixes"]["en_in_text"], key=len, reverse=True)
    alt = "|".join(re.escape(e) for e in ends)
    alt_upper = "|".join(re.escape(e.upper()) for e in ends)
    word = r"(?:[A-Z0-9][\w&'’.\-]*|[a-z]+[A-Z][\w&'’.\-]*)"
    return re.compile(
        rf"({word}(?:\s+(?:{word}|of|and|&)){{0,5}}?,?\s+(?:{alt}))(?![\w])"
        rf"|\b([A-Z0-9][A-Z0-9&'’.\-]+(?:\s+[A-Z0-9&][A-Z0-9&'’.\-]*){{0,5}},?\s+(?:{alt_upper}))(?![\w])")


@functools.lru_cache(maxsize=1)
def self_references() -> frozenset[str]:
    """Words a report uses for itself ('本公司', 'the Company'): never an issuer's alias."""
    v = vocabulary("issuers")["self_references"]
    return frozenset(name_key(w) for w in v["zh"] + v["en"])


def display_case(name: str, text: str) -> str:
    """An ALL-CAPS name as the document writes it elsewhere ('ACME STORES CO., INC.' -> 'Acme Stores Co., Inc.'),
    else in title case (short all-caps words such as 'ABC' or '3D' kept)."""
    letters = [c for c in name or "" if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) / len(letters) < 0.8:   # "McKAY'S" counts as caps
        return name
    words = [re.escape(w) for w in name.split()]
    rx = re.compile(r"(?<![\w])" + r"\s+".join(words) + r"(?![\w])", re.I)
    seen: dict[str, int] = {}
    for m in rx.finditer(text[:200000]):
        s = re.sub(r"\s+", " ", m.group(0))
        if any(c.islower() for c in s):
            seen[s] = seen.get(s, 0) + 1
    if seen:
        return max(seen, key=lambda s: (seen[s], -len(s)))
    out = []
    small = ("of", "and", "the", "for", "to", "in", "on", "at", "by", "a", "an")
    for w in name.split():
        letters = re.sub(r"[^A-Za-z]", "", w)
        keep = len(letters) <= 3 and w.isupper() and letters.lower() not in ("inc", "co", "ltd", "the", "of", "and") + small
        if letters.lower() in small and out:
            out.append(w.lower())
        else:
            out.append(w if keep or any(ch.isdigit() for ch in w) else w.capitalize())
    return " ".join(out)


def split_camel(name: str) -> str:
    """'ExampleBankCo.,Ltd.' (spaces lost in PDF extraction) -> 'Example Bank Co., Ltd.'."""
    if " " in name.strip() or len(name) < 10:
        return name
    s = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return re.sub(r",(?=\S)", ", ", s)


# -- the user's alias file ----------------------------------------------------------------------

@dataclass
class AliasBook:
    """Groups of names that denote one company, from the user's alias files."""
    groups: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def extra_names(self, names) -> list[str]:
        """The names to add to a document known by ``names`` (none when no entry matches)."""
        keys = {name_key(n) for n in names if n}
        keys.discard("")
        out: list[str] = []
        for group in self.groups:
            if any(name_key(n) in keys for n in group):
                out += [n for n in group if name_key(n) not in keys]
        return list(dict.fromkeys(out))

    def signature(self) -> str:
        return repr((self.sources, self.groups))


def alias_paths(index_dir: str | Path | None) -> list[Path]:
    """Where alias files are looked up: ``RAG_ALIASES`` (one or more paths), then ``<index>/aliases.toml``."""
    from ..settings import current

    paths = [Path(p) for p in (current().store.aliases or "").split(os.pathsep) if p.strip()]
    if index_dir is not None:
        paths.append(Path(index_dir) / "aliases.toml")
    return paths


def load_aliases(paths) -> AliasBook:
    """Read alias files (missing ones are skipped; a malformed one is reported and skipped)."""
    book = AliasBook()
    for p in paths:
        p = Path(p)
        if not p.is_file():
            continue
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
            entries = data.get("company", [])
            if not isinstance(entries, list):
                raise ValueError("[[company]] entries expected")
            for e in entries:
                names = [str(n).strip() for n in (e.get("names") or []) if str(n).strip()]
                if len(names) >= 2:
                    book.groups.append(names)
        except (tomllib.TOMLDecodeError, ValueError, AttributeError, UnicodeDecodeError) as err:
            warnings.warn(f"ignoring alias file {p}: {err}", stacklevel=2)
            continue
        book.sources.append(f"{p}:{p.stat().st_mtime_ns}")
    return book
