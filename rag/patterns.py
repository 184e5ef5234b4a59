"""One definition of the character classes and date words every module reads text with.

CJK ranges, years and month names were spelt out separately in several modules (metadata,
scoping, answering, grounding, text, ingest); these are the shared ones. Month names come from
``rag/data/periods.toml`` (see ``rag/data/README.md``).
"""
from __future__ import annotations

import functools
import re

from .vocabulary import vocabulary

# CJK Unified Ideographs, Extension A and the compatibility block (what pypdf and jieba emit for Chinese)
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = f"[{CJK_RANGES}]"
CJK_RUN = re.compile(f"{CJK}+")

YEAR = r"(?:19|20)\d{2}"                  # a four-digit year, no group
YEAR4 = r"((?:19|20)\d{2})"               # the same, captured
YEAR_ALONE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# a year in running text, not a figure that happens to have four digits: not inside a number ("2,022",
# "12022", "2022.5") nor a percentage, but followed by a comma or full stop is fine ("June 30, 2022, we had")
YEAR_IN_TEXT = re.compile(r"(?<![\d.,])((?:19|20)\d{2})(?!\d|[.,]\d|\s*%)")


def is_cjk(ch: str) -> bool:
    return bool(ch) and ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


def has_cjk(text: str) -> bool:
    return CJK_RUN.search(text or "") is not None


@functools.lru_cache(maxsize=1)
def month_numbers() -> dict[str, int]:
    """Lower-case English month names and abbreviations -> 1..12 (``january``, ``jan``, ``sept``)."""
    return {k.lower(): int(v) for k, v in vocabulary("periods")["months"].items()}


@functools.lru_cache(maxsize=1)
def month_pattern() -> str:
    """A regex group matching any month name or abbreviation, with an optional full stop."""
    names = sorted(month_numbers(), key=len, reverse=True)
    return "(" + "|".join(re.escape(n) for n in names) + r")\.?"


def month_number(name: str) -> int | None:
    return month_numbers().get((name or "").lower().rstrip("."))
