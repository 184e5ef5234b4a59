"""Sentence boundaries for mixed Chinese/English disclosure text.

Returns character spans, not strings, so that citations can point back into the
page text exactly. Chinese sentences end at 。！？；(and …); English ones at . ! ?
followed by a space and a plausible sentence start, except after abbreviations
(U.S., No. 3, Inc., e.g.) and inside numbers (4.5%, US$53.0 billion). A line
break left by cleaning is a hard boundary: cleaning has already joined soft wraps.
"""
from __future__ import annotations

import re

_ABBREVIATIONS = {
    "u.s", "u.k", "u.n", "e.g", "i.e", "no", "nos", "mr", "mrs", "ms", "dr", "prof", "inc", "co",
    "corp", "ltd", "plc", "llc", "st", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "fig", "approx", "est", "p", "pp", "vol", "art",
    "sec", "para", "ph.d", "a.m", "p.m", "rmb", "hk", "us", "ref", "dept", "jr", "sr", "s.a",
    "n.v", "b.v", "ag", "gmbh", "mln", "bn", "no.", "op", "cf", "al",
}
_CJK_END = "。！？；…"
_CLOSERS = "”’」』）)》】\"'"
# Candidate ends: CJK terminators (with trailing closers), or ASCII .!? (with closers)
_END = re.compile(r"[。！？；!?]+[" + re.escape(_CLOSERS) + r"]*|…{1,2}[" + re.escape(_CLOSERS) + r"]*|\.[" + re.escape(_CLOSERS) + r"]*|\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


def _english_end_ok(text: str, dot: int, after: int) -> bool:
    """Is the '.' at ``dot`` a sentence end? ``after`` is the index after it and its closers."""
    nxt = text[after : after + 1]
    if nxt == "":
        return True
    if not nxt.isspace():
        # "4.5", "U.S.", "www.x.com": no space after the dot -> not an end, unless CJK follows.
        return _is_cjk(nxt)
    # Look at the word before the dot.
    m = _WORD_BEFORE.search(text[max(0, dot - 12) : dot])
    if m:
        word = m.group(1).lower()
        if word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS:
            return False
        if len(word) == 1 and text[dot - 1].isupper():  # initials: "J. Smith"
            return False
    # Next non-space character should plausibly start a sentence.
    j = after
    while j < len(text) and text[j] in " \t":
        j += 1
    if j >= len(text) or text[j] == "\n":
        return True
    c = text[j]
    return c.isupper() or c.isdigit() or _is_cjk(c) or c in "\"'“‘([•-–—*#"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in ``text``, whitespace trimmed, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        token = m.group(0)
        if token == "\n":
            end = m.start()
        elif token.startswith("."):
            if not _english_end_ok(text, m.start(), m.end()):
                continue
            end = m.end()
        elif token[0] in "!?" and m.end() < len(text) and not text[m.end()].isspace() and not _is_cjk(text[m.end()]):
            continue  # "Yahoo!Japan"-like tokens
        else:
            end = m.end()
        _add(text, start, end, spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
