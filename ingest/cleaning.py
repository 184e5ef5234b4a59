"""Repairs what text extraction breaks, without inventing content.

- pypdf puts spaces and line breaks between Chinese characters ("2024 年")
- English words hyphenated at line ends ("manufac-\\nturing"), and sentences
  hard-wrapped at every line
- full-width ASCII letters/digits/％ and odd spaces (U+3000, NBSP), ligatures
- running headers/footers and bare page numbers repeated on every page
- statements written label-first, each row's figures on the next line ahead of
  the next row's label (see ``reline_split_rows``)

Chinese punctuation (，。：；（）) is kept as the document wrote it: it is the
text a user will recognise in a citation.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u2018-\u201d\u2026"
# Full-width characters that are Chinese punctuation in practice: keep them.
_KEEP_FULLWIDTH = set("，；：？！（）")


def _halfwidth(ch: str) -> str:
    o = ord(ch)
    if 0xFF01 <= o <= 0xFF5E and ch not in _KEEP_FULLWIDTH:
        return chr(o - 0xFEE0)
    if ch in "\u3000\u00a0\u2002\u2003\u2009\u202f\u200b\ufeff":
        return "" if ch in "\u200b\ufeff" else " "
    if 0xFB00 <= o <= 0xFB06:  # ligatures fi, fl, ...
        return unicodedata.normalize("NFKC", ch)
    return ch


_TRANSLATE = {o: _halfwidth(chr(o)) for o in list(range(0xFF01, 0xFF5F)) + [0x3000, 0xA0, 0x2002, 0x2003, 0x2009, 0x202F, 0x200B, 0xFEFF] + list(range(0xFB00, 0xFB07))}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# whitespace between two CJK characters, or CJK and a digit/percent, is an extraction artefact
# ("2024 年", "每 10 股") -- except before a figure that stands alone as a table cell ("营业收入
# 1,539,469,001.00 1,211,411,921.00"): there the space separates a row's label from its values
_TABLE_FIGURE = r"-?[0-9][0-9,]*(?:\.[0-9]+)?%?(?=[ \t]|$)"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}])[ \t]+(?=[{_CJK}{_CJK_PUNCT}]|(?!{_TABLE_FIGURE})[0-9%])"
                      rf"|(?<=[{_CJK}{_CJK_PUNCT}0-9%])[ \t]+(?=[{_CJK}{_CJK_PUNCT}])", re.M)
_SPACES = re.compile(r"[ \t]{2,}")
_TERMINAL = tuple("。！？；：.!?;:")


# Some PDF producers map the fi/fl/ff/ffi ligature glyphs to U+0000, so pypdf yields
# "\x00nancial", "cash \x00ow", "O\x00cer". Which ligature it was is read off the word:
# longer ligatures first, by stems of common words; "fi" (first, fiscal, financial,
# profit, benefit) is by far the most frequent, so it is the default.
_LIGATURE_STEMS = (
    ("ffi", ("office", "officer", "efficien", "sufficien", "affiliat", "difficult", "insufficien")),
    ("ffl", ("affluen", "baffl", "shuffl", "waffl")),
    ("ff", ("offer", "differ", "effect", "affect", "suffer", "staff", "traffic", "afford", "tariff", "buffer",
            "effort", "coffee", "off", "diff")),
    ("fl", ("flow", "fluct", "inflat", "deflat", "reflect", "flex", "floor", "fleet", "flag", "flat", "flight",
            "influen", "conflict", "float", "flu", "flood", "flower", "flown", "fly")),
)
_LIGATURE_WORD = re.compile(r"[A-Za-z]*\x00[A-Za-z\x00]*")


def _pick_ligature(word: str) -> str:
    # a word that starts with a known stem beats one that merely contains it ("reflect", not "reffect")
    for starts in (True, False):
        for lig, stems in _LIGATURE_STEMS:
            low = word.replace("\x00", lig, 1).lower()
            if any(low.startswith(st) if starts else (len(st) > 4 and st in low) for st in stems):
                return lig
    return "fi"


def _repair_ligature(m: re.Match) -> str:
    word = m.group(0)
    while "\x00" in word:
        word = word.replace("\x00", _pick_ligature(word), 1)
    return word


def repair_ligatures(text: str) -> str:
    return _LIGATURE_WORD.sub(_repair_ligature, text) if "\x00" in text else text


def normalize_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = repair_ligatures(text)
    text = text.translate(_TRANSLATE)
    return _CONTROL.sub("", text)


_CJK_BEFORE_FIGURE = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}])(?=[(\-–$¥]?[0-9])")


def _is_tableish(line: str) -> bool:
    """Rows of figures (financial tables) must keep their line structure.

    A Chinese row's label may touch its first figure ("营业总收入2,146,176,538.00 1,528,741,505.00").
    """
    toks = _CJK_BEFORE_FIGURE.sub(" ", line).split()
    if line.lstrip().startswith("|"):
        return True
    nums = sum(1 for t in toks if re.fullmatch(r"[\(\-–$€¥%]*[\d,.]+[\)%]*", t))
    return nums >= 2 and nums >= len(toks) / 3


def _cjk_char(ch: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", ch))


def join_wrapped_lines(text: str) -> str:
    """Join hard-wrapped lines into paragraphs; keep real breaks (ends, headings, tables)."""
    lines = [ln.strip() for ln in text.split("\n")]
    lengths = [len(ln) for ln in lines if len(ln) >= 20]
    typical = statistics.median(lengths) if lengths else 80
    out: list[str] = []
    for ln in lines:
        if not out:
            out.append(ln)
            continue
        prev = out[-1]
        if (
            prev and ln
            and not prev.endswith(_TERMINAL)
            and len(prev) >= 0.6 * typical
            and not _is_tableish(prev) and not _is_tableish(ln)
            and not ln.startswith(("•", "-", "*", "#", "|", "·", "●", "(", "（"))
        ):
            if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and ln[:1].islower():
                out[-1] = prev[:-1] + ln  # de-hyphenate "manufac-" + "turing"
            elif _cjk_char(prev[-1]) or _cjk_char(ln[0]):
                out[-1] = prev + ln
            else:
                out[-1] = prev + " " + ln
        else:
            out.append(ln)
    # collapse runs of blank lines
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# One figure of a statement row: "$ 3,294,978", "(18,815)", "0.48", "12%", "101 %", "—".
_ROW_FIGURE = r"(?:\$\s?)?\(?[-−]?\d[\d,]*(?:\.\d+)?\)?(?:[ ]?%)?|—|–"
# A line break between a row's label (ending in a letter, ":" or "word)") and its figures, when the next
# row's label follows those figures on the same line: a short rest of the line that ends no sentence.
_SPLIT_ROW = re.compile(rf"(?:(?<=[A-Za-z:])|(?<=[A-Za-z]\)))\n(?P<figures>(?:{_ROW_FIGURE})(?:[ ](?:{_ROW_FIGURE}))*)"
                        r"[ ](?P<label>[A-Za-z][^\n]{0,79}(?<![.!?;]))(?=\n|$)")
MIN_SPLIT_ROWS = 3   # a page written so has many such rows
# ... and so do many of its document's pages: the layout is its producer's. Over 18 filings the share of
# pages with MIN_SPLIT_ROWS such breaks is bimodal: 0-5% where they are something else (a contents page's
# "PART I\n1 Business", figures printed before their labels), 26-33% in the two filings written so.
MIN_SPLIT_PAGE_SHARE = 0.2


def reline_split_rows(pages: list[str]) -> list[str]:
    """Put split statement rows back on one line each, in a document whose statements are written so.

    Some PDFs draw a statement label first and its figures after, and pypdf then breaks the line after
    each label, not after its figures: "Total net revenue\n9,497,578 4,713,500 3,298,177 Cost of
    revenue:". Such a page has no "label figures" rows for table parsing, keyword search or quoting. On
    each of its pages with at least MIN_SPLIT_ROWS such breaks, each break and the space after the
    figures trade places ("Total net revenue 9,497,578 4,713,500 3,298,177\nCost of revenue:"): only
    whitespace moves, so the text keeps its characters and length and every quote of it stays verbatim.
    """
    counts = [len(_SPLIT_ROW.findall(t)) for t in pages]
    split = [n >= MIN_SPLIT_ROWS for n in counts]
    if sum(split) < 2 or sum(split) < MIN_SPLIT_PAGE_SHARE * len(pages):
        return pages
    return [_SPLIT_ROW.sub(lambda m: f" {m.group('figures')}\n{m.group('label')}", t) if is_split else t
            for t, is_split in zip(pages, split)]


def clean_text(text: str) -> str:
    text = normalize_chars(text)
    text = _CJK_GAP.sub("", text)
    text = "\n".join(_SPACES.sub(" ", ln) for ln in text.split("\n"))
    text = join_wrapped_lines(text)
    return _CJK_GAP.sub("", text)


_DIGITS = re.compile(r"\d+")


def _line_key(line: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", "", line))


def strip_running_lines(pages: list[str], edge: int = 3) -> list[str]:
    """Remove header/footer lines that repeat on most pages (page numbers vary: digits are masked).

    Only the first/last ``edge`` non-empty lines of a page are candidates, and a
    line must recur on at least half the pages (and 3 of them) to be dropped.
    """
    if len(pages) < 3:
        return pages
    split = [p.split("\n") for p in pages]
    counts: Counter[str] = Counter()
    for lines in split:
        nonempty = [ln for ln in lines if ln.strip()]
        keys = {_line_key(ln) for ln in nonempty[:edge] + nonempty[-edge:]}
        counts.update(k for k in keys if k)
    threshold = max(3, len(pages) // 2)
    running = {k for k, c in counts.items() if c >= threshold and (len(k) <= 80)}
    bare_number = re.compile(r"^\s*(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?\s*(?:/\s*\d+)?\s*$", re.I)
    out = []
    for lines in split:
        nonempty_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(nonempty_idx[:edge] + nonempty_idx[-edge:])
        kept = [ln for i, ln in enumerate(lines)
                if not (i in edges and (_line_key(ln) in running or bare_number.match(ln)))]
        out.append("\n".join(kept))
    return out
