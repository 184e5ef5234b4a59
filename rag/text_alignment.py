"""Where a span of one extraction of a page lies in another extraction of the same page.

The stored page text comes from pypdf and is then cleaned (CJK spacing removed, hyphenated
words joined, wraps joined, full-width forms and ligatures folded, running headers dropped);
the characters that carry positions come from PDFium, in PDFium's own order, with its own
spaces, line breaks and hyphens. The two agree on the visible characters, mostly, and not on
anything else. So both are reduced to a *key*: visible characters only, Unicode-compatibility
folded (NFKC: full-width forms, ligatures, Kangxi radicals), case-folded, with whitespace,
control characters and hyphens/dashes left out (those are what cleaning adds or removes). The
quote's key is then found in the page's key:

1. continuing where the previous piece ended (a few stray characters on either side are
   skipped: a footnote mark, a soft hyphen, a character one extractor dropped);
2. otherwise by the longest piece of the rest of the quote that occurs anywhere on the page
   (so text that PDFium reads in another order, such as table cells, is still found), taking
   the occurrence nearest to where the quote is expected; a piece shorter than a few
   characters is not trusted on its own and is skipped.

The result is which target characters the quote's characters are, and which share of the
quote was found (``coverage``), so a caller can refuse a poor match instead of marking the
wrong text.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Left out of the key on both sides: what cleaning adds or removes between visible characters.
_DROPPED = set("-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")
# Quote-like characters that extractors disagree on.
_FOLD = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u3000": " "}
# Pieces found away from the previous one must be at least this long (characters of the key) to
# be trusted: a CJK character carries about as much as a Latin word's worth of letters.
MIN_ANCHOR_LATIN = 6
MIN_ANCHOR_CJK = 3
# Stray characters skipped when continuing (target side / quote side).
SLACK_TARGET = 6
SLACK_QUOTE = 3


@dataclass
class Key:
    """The visible characters of a text (see module doc) and, for each, its index in the text."""
    chars: str
    index: list[int]


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3040" <= ch <= "\u30ff"


def key_of(text: str, start: int = 0, end: int | None = None) -> Key:
    """Key of ``text[start:end]``; indices refer to ``text``."""
    end = len(text) if end is None else end
    chars: list[str] = []
    index: list[int] = []
    for i in range(start, end):
        ch = text[i]
        if ch.isspace() or ch in _DROPPED or ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0:
            continue
        folded = _FOLD.get(ch)
        if folded is None:
            folded = unicodedata.normalize("NFKC", ch).casefold() if ord(ch) > 127 else ch.lower()
        for c in folded:
            if c.isspace() or c in _DROPPED:
                continue
            chars.append(c)
            index.append(i)
    return Key("".join(chars), index)


@dataclass
class Alignment:
    """``target`` indices of the quote's characters (sorted, distinct) and the share of the
    quote's key that was found."""
    target: list[int]
    coverage: float


def _common_prefix(a: str, i: int, b: str, j: int, limit: int) -> int:
    n = 0
    while n < limit and i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
        n += 1
    return n


def _longest_occurring(piece: str, hay: str) -> int:
    """Length of the longest prefix of ``piece`` found anywhere in ``hay`` (binary search:
    if a prefix occurs, every shorter one does)."""
    lo, hi = 0, len(piece)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if piece[:mid] in hay:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _nearest_occurrence(piece: str, hay: str, near: int, limit: int = 200) -> int:
    best, pos, seen = -1, hay.find(piece), 0
    while pos >= 0 and seen < limit:
        # at equal distance, the occurrence after ``near`` (reading on) wins
        if best < 0 or abs(pos - near) < abs(best - near) or (abs(pos - near) == abs(best - near) and pos > best):
            best = pos
        pos = hay.find(piece, pos + 1)
        seen += 1
    return best


def align(source: str, start: int, end: int, target: str) -> Alignment:
    """Which characters of ``target`` are ``source[start:end]``.

    ``source`` is the whole text the span was cut from (its position there hints where to look
    when the span's words occur more than once); ``target`` is the other extraction.
    """
    q = key_of(source, start, end)
    if not q.chars:
        return Alignment([], 0.0)
    t = key_of(target)
    qs, ts = q.chars, t.chars
    if not ts:
        return Alignment([], 0.0)
    before = len(key_of(source, 0, start).chars)
    total = before + len(key_of(source, start).chars)
    hint = int(len(ts) * before / max(1, total))

    exact = _nearest_occurrence(qs, ts, hint) if len(qs) >= MIN_ANCHOR_CJK else -1
    if exact >= 0:
        return Alignment(_with_dropped_between(sorted({t.index[exact + k] for k in range(len(qs))}), target), 1.0)

    found: set[int] = set()
    matched = 0
    i, j = 0, None          # next quote character; where it is expected in the target
    while i < len(qs):
        if j is not None:
            step = _continue(qs, i, ts, j)
            if step is not None:
                di, dj, n = step
                found.update(t.index[j + dj + k] for k in range(n))
                matched += n
                i, j = i + di + n, j + dj + n
                continue
        n = _longest_occurring(qs[i:], ts)
        piece = qs[i:i + n]
        need = MIN_ANCHOR_CJK if any(_is_cjk(c) for c in piece) else MIN_ANCHOR_LATIN
        if n < min(need, len(qs) - i) or n == 0:
            i += 1          # not on the page in this form (or too short to place): skip it
            continue
        at = _nearest_occurrence(piece, ts, hint if j is None else j)
        found.update(t.index[at + k] for k in range(n))
        matched += n
        i, j = i + n, at + n
    return Alignment(_with_dropped_between(sorted(found), target), matched / len(qs))


def _with_dropped_between(indices: list[int], target: str, gap: int = 4) -> list[int]:
    """Add the spaces, hyphens and dashes lying between two found characters ("manufac-|turing"):
    they are part of the quote as printed, though not of the key."""
    out: list[int] = []
    for a, b in zip(indices, indices[1:] + [None]):
        out.append(a)
        if b is not None and 1 < b - a <= gap:
            out.extend(k for k in range(a + 1, b) if target[k] in _DROPPED or target[k].isspace())
    return out


def _continue(qs: str, i: int, ts: str, j: int) -> tuple[int, int, int] | None:
    """(quote characters skipped, target characters skipped, characters matched) when the quote
    goes on at (about) ``j``; None when it does not."""
    for dj in range(SLACK_TARGET + 1):
        n = _common_prefix(qs, i, ts, j + dj, len(qs))
        if n >= (1 if dj == 0 else 2):
            return 0, dj, n
    for di in range(1, SLACK_QUOTE + 1):
        for dj in range(SLACK_TARGET + 1):
            n = _common_prefix(qs, i + di, ts, j + dj, len(qs))
            if n >= 3:
                return di, dj, n
    return None
