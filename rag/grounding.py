"""Grounding check for generated answers: citations and figures against the passages.

Pure functions, no model and no I/O. An LLM answer is split into sentences;
each sentence must

1. cite at least one passage with a marker ``[n]`` (also ``[1, 2]``, ``[1][2]``,
   ``【1】``, ``[1-3]``), and every cited ``n`` must be a passage that was given;
2. contain only figures that appear, as values, in a passage that this sentence
   cites.

Figures are compared as values after normalising scale words and languages:
``4万亿美元`` = ``US$4 trillion`` = 4e12, ``530亿美元`` = ``US$53.0 billion``,
``RMB996,347 million`` = ``RMB996.3 billion`` (within a relative tolerance,
0.5% by default), ``26%`` = ``26 percent`` = ``百分之二十六``. When both sides
name a currency the currencies must agree (US$/USD/$/美元, RMB/CNY/¥/人民币,
HK$/HKD/港元); a percentage never matches an amount. Tables state their unit
in a header ("RMB in millions"), so a passage figure written as a table cell
(digits with a separator or decimal point, or at least three digits) and without
a scale word also matches an answer figure whose digits equal it before the scale
word ("RMB996,347 million" vs "996,347"), or equal it times a thousand, a million
or a billion.

Not checked as figures: citation markers, years (1900-2100 without a unit),
dates (3月31日, March 31), list ordinals ("1.", "(2)", "第3"), and digits inside
names (Qwen3, Q3, FY2025, GPT-4, 5G). Chinese numerals (一..九 with 十百千万亿)
count when they carry a magnitude (三千八百亿) or follow 百分之; on the passage
side every Chinese numeral and English number word (one..ninety, hundred)
counts, so that "五年" or "eight percent" in a passage supports "5年"/"8%" in an
answer.
"""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping, Sequence

from ingest.sentences import split_sentences

from .citation_markers import CITATION_RUN, parse_citations, strip_citations
from .quantities import REL_TOL, Quantity, extract_quantities, quantities_match  # noqa: F401  (re-exported)

# -- sentences of an answer --------------------------------------------------------
def split_answer(text: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer; citation markers right after a sentence end stay with it.

    "营收增长26%。[1]下一句[2]。" -> "营收增长26%。[1]", "下一句[2]。";
    "... trillion.[2] Its ADRs ..." splits after "[2]".
    """
    masked = strip_citations(text)          # markers as spaces: "x.[2] Y" splits like "x.    Y"
    spans = [list(x) for x in split_sentences(masked)]
    # list ordinals split off as sentences of their own ("1." / "2)"): join them to their item
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and _LIST_MARK.fullmatch(masked[merged[-1][0]:merged[-1][1]]) \
                and "\n" not in masked[merged[-1][1]:a]:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out: list[tuple[int, int]] = []
    prev_end = 0
    for i, (a, b) in enumerate(merged):
        lead = text[prev_end:a]
        if lead.strip():                    # markers before this sentence, not claimed by the last one
            a = prev_end + len(lead) - len(lead.lstrip())
        nxt = merged[i + 1][0] if i + 1 < len(merged) else len(text)
        m = CITATION_RUN.match(text[b:nxt])
        if m:
            b += len(text[b:b + m.end()].rstrip())
        out.append((a, b))
        prev_end = b
    return out


_LIST_MARK = re.compile(r"\s*(?:[-*•·]\s*)?(?:\d{1,2}|[A-Za-z]|[ivxIVX]{1,4})[.)]\s*")


# -- the check ----------------------------------------------------------------------
@dataclass
class GroundingReport:
    sentences: list[dict] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)          # valid passage numbers cited anywhere
    invalid: list[int] = field(default_factory=list)        # cited numbers that were not given
    seconds: float = 0.0

    @property
    def has_valid_citation(self) -> bool:
        return bool(self.cited)

    @property
    def unverified(self) -> list[dict]:
        return [s for s in self.sentences if not s["verified"]]

    @property
    def verified(self) -> bool:
        return not self.unverified

    def to_dict(self) -> dict:
        return asdict(self)


def _no_claim(body: str) -> bool:
    """Lead-ins ("Key figures:"), headings and bare punctuation make no checkable claim."""
    t = body.strip().strip("*_#>-•· ")
    if not re.search(r"\w", t):
        return True
    return bool(re.search(r"[:：]$", t)) and len(t) <= 80


def check_answer(text: str, passages: Mapping[int, str] | Sequence[str], *, rel_tol: float = REL_TOL,
                 skip: Iterable[str] = ()) -> GroundingReport:
    """Check every sentence of ``text`` against ``passages`` (a list: passage n is item n-1).

    ``skip``: sentences (e.g. the fixed "cannot answer" text) that make no claim.
    """
    t0 = time.perf_counter()
    given: dict[int, str] = dict(passages) if isinstance(passages, Mapping) else \
        {i + 1: p for i, p in enumerate(passages)}
    cache: dict[int, list[Quantity]] = {}

    def figures(n: int) -> list[Quantity]:
        if n not in cache:
            cache[n] = extract_quantities(given[n], liberal=True)
        return cache[n]

    skip_norm = {_squash(x) for x in skip}
    report = GroundingReport()
    cited_all: set[int] = set()
    invalid_all: set[int] = set()
    for a, b in split_answer(text):
        sent = text[a:b]
        markers = parse_citations(sent)
        cites = list(dict.fromkeys(n for _, _, ns in markers for n in ns))
        valid = [n for n in cites if n in given]
        invalid = [n for n in cites if n not in given]
        body = strip_citations(sent)
        entry = {"text": sent, "start": a, "end": b, "citations": cites, "invalid_citations": invalid,
                 "numbers": [], "claim": True, "verified": True, "problems": []}
        if not cites and (_no_claim(body) or _squash(body) in skip_norm):
            entry["claim"] = False
            report.sentences.append(entry)
            continue
        cited_all.update(valid)
        invalid_all.update(invalid)
        if not cites:
            entry["problems"].append("no citation")
        if invalid:
            entry["problems"].append("cites passage(s) not given: " + ", ".join(f"[{n}]" for n in invalid)
                                     + f" (passages are 1-{max(given) if given else 0})")
        for q in extract_quantities(body):
            match = next((n for n in valid for p in figures(n) if quantities_match(q, p, rel_tol)), None)
            entry["numbers"].append({"text": q.raw, "value": q.value, "unit": q.unit, "currency": q.currency,
                                     "passage": match})
            if match is None:
                where = ("the cited passage" + ("s " if len(valid) > 1 else " ")
                         + "".join(f"[{n}]" for n in valid)) if valid else "any cited passage"
                entry["problems"].append(f"figure {q.raw!r} not found in {where}")
        entry["verified"] = not entry["problems"]
        report.sentences.append(entry)
    report.cited = sorted(cited_all)
    report.invalid = sorted(invalid_all)
    report.seconds = time.perf_counter() - t0
    return report


def _squash(s: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", s).lower())


def mark_unverified(text: str, sentences: list[dict], label: str) -> str:
    """``text`` with ``label`` inserted after every sentence that failed the check."""
    out = text
    for s in sorted(sentences, key=lambda s: -s["end"]):
        if s.get("claim", True) and not s["verified"]:
            out = out[: s["end"]] + label + out[s["end"]:]
    return out
