"""Vocabulary kept as data: ``rag/data/*.toml`` (format in ``rag/data/README.md``).

Words that say what kind a document is, how periods and spans are named, the legal suffixes
of company names and the like are facts about disclosure conventions, not code: they live in
TOML files that can be read and extended without touching the rules that use them.
"""
from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@functools.lru_cache(maxsize=None)
def vocabulary(name: str) -> dict:
    """The parsed ``rag/data/<name>.toml``; a file that cannot be read is an error naming it."""
    path = DATA_DIR / f"{name}.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{path}: cannot read this vocabulary file ({e})") from None


def phrase_pattern(entry: str) -> str:
    """One vocabulary entry as a regex: ``re:`` entries are regexes as written; any other entry is a
    phrase in which a space matches spaces or hyphens, and which must not start or end inside a
    Latin word (CJK phrases match anywhere)."""
    if entry.startswith("re:"):
        return entry[3:]
    parts = [re.escape(p) for p in entry.split()]
    body = r"[\s-]+".join(parts)
    if re.match(r"[A-Za-z0-9]", entry):
        body = r"(?<![A-Za-z0-9])" + body
    if re.search(r"[A-Za-z0-9]$", entry):
        body = body + r"(?![A-Za-z0-9])"
    return body


def phrases_regex(entries, flags: int = re.I) -> re.Pattern:
    """One regex matching any of ``entries`` (longest first, so a longer phrase wins)."""
    pats = sorted((phrase_pattern(e) for e in entries), key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in pats) or r"(?!x)x", flags)
