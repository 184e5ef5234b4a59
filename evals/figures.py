"""Figures in free text, and whether an answer states a gold answer's figure.

Used to score "gold figure in answer" on external benchmarks, whose gold answers
are short free text ("$2,018mn", "1.9%", "48,783,353.20元", "The quick ratio was
approximately 0.54"). A figure matches when the answer states the same value up to
the gold's precision, with thousands separators and units normalised: 1,577 /
1577 / 1.577 billion (a question that asks "in USD millions" is answered by a
table in millions or by a sentence in billions), 8.4亿 / 840,000,000, 3215 / 3,215.0.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

_SCALE = {
    "thousand": 1e3, "k": 1e3, "千": 1e3,
    "million": 1e6, "millions": 1e6, "mn": 1e6, "mm": 1e6, "m": 1e6, "百万": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12,
    "万": 1e4, "亿": 1e8, "万亿": 1e12,
}
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.,])(?P<neg>[-−(])?\s*(?:US\$|HK\$|RMB|USD|\$|¥|￥)?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(?P<scale>万亿|万|亿|千|百万|thousand|millions?|billions?|trillion|mn|mm|bn|tn|[kmb](?![a-z]))?"
    r"(?P<pct>\s*(?:%|percent|per cent|个百分点|percentage points?))?",
    re.I)


@dataclass(frozen=True)
class Figure:
    value: float        # with its scale word applied (2,018mn -> 2.018e9)
    decimals: int       # digits after the point as written (precision of a gold figure)
    text: str
    percent: bool = False
    year_like: bool = False   # a bare 4-digit 19xx/20xx: usually a year, not a figure


def figures(text: str) -> list[Figure]:
    t = unicodedata.normalize("NFKC", text or "")
    out = []
    for m in _NUMBER.finditer(t):
        num = m.group("num")
        a = m.start("num")
        if a > 0 and (t[a - 1].isalpha() and t[a - 1].isascii()):
            continue   # FY2022, Q1, 10K's digits belong to a name
        if a > 1 and t[a - 1] == "-" and t[a - 2].isalpha():
            continue   # COVID-19
        value = float(num.replace(",", ""))
        scale = (m.group("scale") or "").lower()
        value *= _SCALE.get(scale, 1.0)
        if m.group("neg") in ("-", "−", "("):
            value = -value
        decimals = len(num.split(".")[1]) if "." in num else 0
        year_like = (not scale and not m.group("pct") and "," not in num and "." not in num
                     and len(num) == 4 and num[:2] in ("19", "20"))
        out.append(Figure(value, decimals, m.group(0).strip(), bool(m.group("pct")), year_like))
    return out


def gold_figures(gold: str, question: str = "") -> list[Figure]:
    """The figures a gold answer states, less years and the figures the question itself gives."""
    given = figures(question)
    out = []
    for f in figures(gold):
        if f.year_like or any(_same(g, f) and _same(f, g) for g in given):
            continue
        out.append(f)
    return out


def _same(answer: Figure, gold: Figure) -> bool:
    """Does ``answer`` state ``gold`` to the gold's precision, in any power-of-1000 (or 万/亿) unit?"""
    if gold.value == 0:
        return answer.value == 0
    if answer.value == 0:
        return False
    # signs are compared in absolute value: "a decline of 0.6%" states -0.6%, "(473)" states -$473 million
    tol = 0.5 * 10 ** -gold.decimals
    g = abs(gold.value)
    for scale in (1.0, 1e3, 1e6, 1e9, 1e12, 1e-3, 1e-6, 1e-9, 1e-12, 1e4, 1e8, 1e-4, 1e-8):
        a = abs(answer.value) * scale
        # the gold is rounded to its decimals: the answer matches when it rounds to it
        if abs(a - g) <= tol * (1 + 1e-9) or math.isclose(a, g, rel_tol=1e-9):
            return True
    return False


def states_figure(answer: str, gold: str, question: str = "") -> bool | None:
    """True/False when the gold answer has a figure (does the answer state one of them?), else None."""
    golds = gold_figures(gold, question)
    if not golds:
        return None
    said = figures(answer)
    return any(_same(a, g) for g in golds for a in said)
