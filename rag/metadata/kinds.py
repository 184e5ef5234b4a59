"""Document kinds: SEC forms (10-K, 10-Q, 20-F, 8-K, 6-K), earnings releases, annual / interim /
quarterly reports and news articles, named in English or Chinese.

The words for each kind are data (``rag/data/kinds.toml``); a question, a cover line or a file
name is read with the same words.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from ..vocabulary import phrases_regex, vocabulary


@functools.lru_cache(maxsize=1)
def _kinds() -> list[dict]:
    return vocabulary("kinds")["kind"]


@functools.lru_cache(maxsize=1)
def kind_words() -> list[tuple[str, re.Pattern]]:
    """(kind, regex of the words naming it), in the order kinds are tried."""
    return [(k["name"], phrases_regex(k["words"])) for k in _kinds()]


@functools.lru_cache(maxsize=1)
def kind_family() -> dict[str, str]:
    """Form -> the general kind it is (10-K -> annual report, 10-Q -> quarterly report)."""
    return {k["name"]: k["family"] for k in _kinds() if k.get("family")}


@functools.lru_cache(maxsize=1)
def any_kind_word() -> re.Pattern:
    """Every kind word (for removing them from a keyword query)."""
    return phrases_regex([w for k in _kinds() for w in k["words"]])


REPORT_KINDS = ("annual report", "interim report", "quarterly report")
SEC_FORMS = ("10-K", "10-Q", "20-F", "8-K", "6-K")


def normalize_kind(value: str) -> str:
    """'10k' -> '10-K', '年度报告' -> 'annual report', 'press release' -> 'earnings release'."""
    v = (value or "").strip()
    if not v:
        return ""
    for kind, rx in kind_words():
        if v.lower() == kind.lower() or rx.fullmatch(v) or rx.search(v):
            return kind
    return v.lower()


def find_kinds(text: str) -> list[str]:
    """Document kinds a question names, most specific first (a form number before 'annual report')."""
    out = []
    t = unicodedata.normalize("NFKC", text or "")
    for kind, rx in kind_words():
        if rx.search(t) and kind not in out:
            out.append(kind)
    if "earnings release" in out and "news article" in out:
        out.remove("news article")  # "news release" is a press release
    return out


def report_kind(line: str) -> str:
    """The report kind a title line names ('2024年年度报告' -> 'annual report'), or ''."""
    found = report_kind_match(line)
    return found[0] if found else ""


def report_kind_match(line: str) -> tuple[str, re.Match] | None:
    """The report kind a title line names and where its words are in the line, or None."""
    for kind, rx in kind_words():
        m = rx.search(line) if kind in REPORT_KINDS else None
        if m:
            return kind, m
    return None


def file_tokens(path: Path) -> list[str]:
    stem = unicodedata.normalize("NFKC", Path(path).stem).lower()
    return [t for t in re.split(r"[^0-9a-z\u3400-\u9fff]+", stem) if t]


@functools.lru_cache(maxsize=1)
def _file_words() -> list[tuple[str, re.Pattern]]:
    out = []
    for k in _kinds():
        pats = [r"(?<![0-9a-z])" + r"\s*".join(re.escape(p) for p in w.split()) + r"(?![0-9a-z])" for w in k.get("file", [])]
        if pats:
            out.append((k["name"], re.compile("|".join(pats))))
    return out


def kind_from_filename(path: Path) -> str:
    """The kind a file name says ('ACME_2023_10K.pdf' -> '10-K', 'x-annual-report.md' -> 'annual report')."""
    s = " ".join(file_tokens(path))
    # a release or results file first: "…_EARNINGS" names what the file is even when a form number appears too
    order = ["earnings release"] + [k for k, _ in _file_words() if k != "earnings release"]
    words = dict(_file_words())
    for kind in order:
        rx = words.get(kind)
        if rx is not None and rx.search(s):
            return kind
    return ""


def is_file_vocabulary(token: str) -> bool:
    """A file-name token that names a kind (not a company): '10k', 'annual', 'report', 'earnings'."""
    t = token.lower()
    return any(rx.fullmatch(t) for _, rx in _file_words()) or t in ("report", "reports", "dated", "form", "zh", "en",
                                                                    "cn", "final", "draft", "copy")
