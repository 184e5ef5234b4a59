"""A bilingual glossary of disclosure terms, for cross-language keyword matching.

The default embedder bridges Chinese and English only roughly (cosine 0.1–0.4 for
a Chinese question against the English sentence that answers it), and keyword
search cannot bridge them at all. Financial reports use a small, stable
vocabulary, so a glossary of their standard terms lets a question in one language
match the line items of a report in the other ("净利润" finds "net income").
Expansion only adds words; it never removes the question's own.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

# (Chinese terms, English terms): each side expands to the other. The terms are data
# (rag/data/glossary.toml, format in rag/data/README.md), so a user can extend them.
GLOSSARY = Path(__file__).resolve().parent / "data" / "glossary.toml"


def _load(path: Path = GLOSSARY) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{path}: cannot read the glossary ({e})") from None


_DATA = _load()   # read once: the pairs, the regions and the abbreviations below all come from it
PAIRS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (tuple(p["zh"]), tuple(t.lower() for t in p["en"])) for p in _DATA.get("pair", []) if p.get("zh") and p.get("en")]
# the Chinese names of markets and regions (pairs marked region = true), longest first
REGIONS_ZH: tuple[str, ...] = tuple(sorted({z for p in _DATA.get("pair", []) if p.get("region") for z in p.get("zh", [])},
                                           key=len, reverse=True))
# English abbreviations of reporting terms and the words they stand for ("pp&e" -> "property plant
# and equipment"): statements write the words out, questions often do not
ABBREVIATIONS: dict[str, str] = {a.lower(): e["long"].lower() for e in _DATA.get("abbreviation", [])
                                 if e.get("long") for a in e.get("short", [])}
_ABBR_PATTERN = (re.compile(r"(?<![a-z0-9&])(" + "|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True))
                            + r")(?![a-z0-9&])") if ABBREVIATIONS else None)


def written_out(text: str) -> list[str]:
    """What the abbreviations in ``text`` stand for ("PPNE" -> "property plant and equipment")."""
    if _ABBR_PATTERN is None:
        return []
    low = text.lower()
    return list(dict.fromkeys(ABBREVIATIONS[m.group(1)] for m in _ABBR_PATTERN.finditer(low)
                              if ABBREVIATIONS[m.group(1)] not in low))

_ZH_TO_EN: dict[str, tuple[str, ...]] = {}
_EN_TO_ZH: dict[str, tuple[str, ...]] = {}
for zh_terms, en_terms in PAIRS:
    for z in zh_terms:
        _ZH_TO_EN[z] = _ZH_TO_EN.get(z, ()) + en_terms
    for e in en_terms:
        _EN_TO_ZH[e] = _EN_TO_ZH.get(e, ()) + (zh_terms[0],)

# a term inflected as English inflects it is the term: "repurchases", "acquired" ("repurchase", "acquire")
_EN_PATTERN = re.compile(r"(?<![a-z])(" + "|".join(sorted(map(re.escape, _EN_TO_ZH), key=len, reverse=True))
                         + r")(?:s|es|d|ed|ing)?(?![a-z])")


def is_general_term(term: str) -> bool:
    """Whether ``term`` is a word of the glossary ("CFO", "gross margin", "毛利率"): reporting vocabulary,
    not a name of a company, product or person."""
    t = " ".join((term or "").lower().split())
    return t in ABBREVIATIONS or t in _EN_TO_ZH or t in _ZH_TO_EN


def chinese_terms() -> tuple[str, ...]:
    """The glossary's Chinese terms, longest first."""
    return _ZH_TERMS


_ZH_TERMS = tuple(sorted(_ZH_TO_EN, key=len, reverse=True))


def translations(text: str, about: list[str] | None = None) -> list[str]:
    """Glossary terms of the other language for the terms found in ``text`` (with ``about``, only for
    the terms that hold one of those words: what a question asks about, not its period words)."""
    def wanted(term: str) -> bool:
        return about is None or any(w and w.lower() in term for w in about)

    out: list[str] = []
    for z, ens in _ZH_TO_EN.items():
        if z in text and wanted(z):
            out.extend(ens)
    low = text.lower()
    for m in _EN_PATTERN.finditer(low):
        if wanted(m.group(1)):
            out.extend(_EN_TO_ZH[m.group(1)])
    return list(dict.fromkeys(t for t in out if t.lower() not in low and t not in text))


def equivalents(term: str) -> list[str]:
    """``term`` (lower case) and the terms of every glossary pair that holds it, in both languages ("cfo" ->
    "chief financial officer", 首席财务官, 财务负责人, …)."""
    t = " ".join((term or "").lower().split())
    out = [t]
    for zh_terms, en_terms in PAIRS:
        if t in en_terms or t in zh_terms:
            out += [x for x in (*en_terms, *zh_terms) if x not in out]
    return out


def expand(text: str) -> str:
    """``text`` followed by the glossary translations of its terms and its abbreviations written out."""
    extra = list(dict.fromkeys(translations(text) + written_out(text)))
    return text + (" " + " ".join(extra) if extra else "")
