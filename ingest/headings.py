"""Where a chunk sits in a long filing: the section it belongs to and the title of its page.

A 10-K or an annual report runs to 100–300 pages, and most of its passages do not
say what they are part of: a row "Inventories 1,426.3 1,559.3" does not say
"balance sheet", and a paragraph of risk factors does not say "Item 1A". Filings
announce both in their layout, which this module reads:

- **sections**: a line that opens a part of the filing and holds until the next one,
  e.g. "Item 7. Management's Discussion and Analysis …", "ITEM 8.", "PART II",
  "Note 10. Income Taxes", "第三节 管理层讨论与分析", "七、合并财务报表项目注释";
- **page titles**: the first line(s) of a page when they read as a title rather than
  prose or figures ("Consolidated Statements of Cash Flows", "RESULTS OF OPERATIONS",
  "公司研发人员情况").

Chunking stores them as the chunk's context (embedded and keyword-indexed with it;
the chunk's text stays the verbatim page span). These are layout conventions of
filings in general; nothing here names an issuer or a document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TITLE_CHARS = 110
MAX_CONTEXT_CHARS = 260

# "Item 7.", "ITEM 1A. Risk Factors", "Part II", "Note 10.", "NOTE 3 — Acquisitions"
_EN_SECTION = re.compile(r"^(?:PART\s+[IVX]{1,4}\b|ITEM\s+\d{1,2}[A-C]?\b\.?|NOTE\s+\d{1,2}[A-Z]?\b\.?)", re.I)
# "第三节 管理层讨论与分析", "第十节财务报告", "七、合并财务报表项目注释", "十二、承诺及或有事项"
_ZH_SECTION = re.compile(r"^(?:第[一二三四五六七八九十]{1,3}[节章部分]{1,2}|[一二三四五六七八九十]{1,3}、)\s*\S")
# a note heading the text layer ran into the previous note's last sentence ("… as appropriate. Note 2.
# Acquisitions, Divestitures …"): after a sentence's end, "Note N." and capitalised title words
_MID_NOTE = re.compile(r"(?<=[.;:)”\"]\s)(?i:note)\s+\d{1,2}[A-Z]?\.\s+(?!(?i:note)\b)[A-Z][\w,&’'\-]*"
                       r"(?:\s+(?:and|of|for|in|to|on|the|&|[A-Z][\w,&’'\-]*))*")
_TITLE_JOINERS = {"and", "of", "for", "in", "to", "on", "the", "&"}
_ZH_NUMBERED = re.compile(r"^(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十]{1,3}[节章])\s*\S")
_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_AMOUNT = re.compile(r"\d[\d,]{3,}")
_SENTENCE_END = re.compile(r"[.。;；!?！？]\s*$")
# a line ending in an abbreviation's period is not a sentence: "SQUARE, INC.", "Acme Holdings Corp."
_ABBREVIATION_END = re.compile(r"(?:^|[\s,])(?:[A-Za-z]{1,4}\.){1,3}\s*$")
_TOC_LEADER = re.compile(r"(?:\.{4,}|…{2,}|\s\d{1,3}\s*$)")


@dataclass
class PageContext:
    section: str = ""
    note: str = ""        # a note or sub-part within the section (English "Note 4.", Chinese "七、…")
    title: str = ""

    def text(self) -> str:
        parts = [p for p in (self.section, self.note, self.title) if p]
        out = []
        for p in parts:   # a title that repeats the section adds nothing
            if not any(p.lower() in q.lower() for q in out):
                out.append(p)
        # over the limit, the section and the note are shortened, not the page's own title: the title
        # says what the page is ("Consolidated Statements of Cash Flows"), the section only where it sits
        over = len(" · ".join(out)) - MAX_CONTEXT_CHARS
        for i in range(len(out) - 1):
            if over <= 0:
                break
            cut = min(over, max(0, len(out[i]) - 40))
            out[i] = out[i][:len(out[i]) - cut].rstrip()
            over -= cut
        return " · ".join(out)[:MAX_CONTEXT_CHARS]


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def _is_title(line: str) -> bool:
    """A heading rather than prose or a row of figures."""
    if not line or len(line) > MAX_TITLE_CHARS or (_SENTENCE_END.search(line) and not _ABBREVIATION_END.search(line)):
        return False
    letters = sum(ch.isalpha() for ch in line)
    if letters < 3:
        return False
    digits = sum(len(m.group(0)) for m in _FIGURE.finditer(line))
    if digits > 0.25 * len(line):
        return False
    if re.search(r"[\u3400-\u9fff]", line):
        return len(line) <= 40 and "，" not in line and "," not in line
    words = re.findall(r"[A-Za-z][A-Za-z'’&\-]*", line)
    if len(words) > 14:
        return False
    capitalised = sum(w[0].isupper() for w in words if len(w) > 3)
    long_words = sum(1 for w in words if len(w) > 3) or 1
    return capitalised / long_words >= 0.6


def _section_heading(lines: list[str], i: int) -> str:
    """The section a line opens ("Item 7. Management's Discussion …"), with the title lines that
    follow a number standing alone ("Item 7." / "Management's" / "Discussion and Analysis …").
    "" for a cross-reference in prose ("Item 1A. Risk Factors—… section of this Form 10-K. See …")
    or a table-of-contents entry."""
    line = lines[i]
    if _TOC_LEADER.search(line) and len(line) > 20:
        return ""
    rest = _EN_SECTION.sub("", line).strip(" .:-–—")
    j = i + 1
    if len(rest) <= 2 and rest.isalpha() and j < len(lines) and lines[j][:1].isalpha():
        # a word the PDF's text layer broke across lines ("Item 8. F" / "INANCIAL STATEMENTS …")
        line, rest = line + lines[j], rest + lines[j]
        j += 1
    if rest and not _is_title(rest):
        return ""
    head = line
    while (len(head) < 40 and j < len(lines) and j <= i + 3 and not _EN_SECTION.match(lines[j])
           and _is_title(lines[j].rstrip("."))):
        head = f"{head} {lines[j]}"
        j += 1
    return head[:MAX_TITLE_CHARS]


def mid_line_notes(line: str) -> list[str]:
    """The note headings inside a line of prose ("Note 2. Acquisitions, Divestitures"): the title's
    capitalised words, without the capitalised word that opens the note's first sentence ("Note 15.
    Leases We lease …") or a sub-heading's letter ("Note 5. Tax Matters A. Taxes on …")."""
    out = []
    for m in _MID_NOTE.finditer(line):
        words = m.group(0).split()
        if line[m.end():].lstrip()[:1].islower() and len(words) > 3:
            words = words[:-1]
        while len(words) > 3 and (len(words[-1].rstrip(",")) == 1 or words[-1].lower() in _TITLE_JOINERS):
            words = words[:-1]
        out.append(" ".join(words).rstrip(",")[:MAX_TITLE_CHARS])
    return out


def page_title(text: str) -> str:
    """The page's title: its first line(s) when they read as a heading."""
    lines = _lines(text)[:3]
    if lines and len(lines[0]) > MAX_TITLE_CHARS:
        # the text layer ran the title into what follows it on one line ("Index to Consolidated Financial
        # Statements Consolidated Statements of Operations For the Years Ended …"): its opening words
        head = lines[0][:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
        lines[0] = head if _is_title(head) else lines[0]
    picked = []
    for ln in lines:
        if _is_title(ln):
            picked.append(ln)
            if sum(len(p) for p in picked) > 40:
                break
        else:
            break
    return " ".join(picked)[:MAX_TITLE_CHARS]


def headings_of(text: str) -> list[tuple[int, str]]:
    """The page's heading lines with their offsets, in page order: where a sentence below one belongs
    ("(一)2024年第四季指引" over the bullets of a forecast, "(二)管理层评论" over what was reported)."""
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        s = line.strip()
        # (a numbered heading may hold a year: "(一)2024年第四季指引", more digits than a title has)
        numbered = bool(_ZH_NUMBERED.match(s)) and len(s) <= 40 and not _SENTENCE_END.search(s)
        if s and (numbered or _is_title(s)) and not s.startswith(("-", "•", "·", "*")):
            out.append((pos + line.index(s), s))
        pos += len(line) + 1
    return out


def page_contexts(pages: list[str]) -> list[PageContext]:
    """For each page in order: the section and note it sits in, and its own title.

    A section heading found on a page applies from that page on (a heading in the middle
    of a page applies to the chunks below it too, which is close enough for ranking:
    the page's own title usually names what the page holds)."""
    out = []
    section = note = ""
    for text in pages:
        lines = _lines(text)
        page_section, page_note = section, note
        heads = [ln for ln in lines if _EN_SECTION.match(ln) or _ZH_SECTION.match(ln)]
        if len(heads) >= 5 and sum(bool(_TOC_LEADER.search(ln)) for ln in heads) >= max(3, len(heads) // 2):
            # a table of contents: many headings, most with their page numbers. (Many headings alone are not
            # one: a statement's "一、营业收入 / 二、营业总成本" rows, a 10-K's closing "Item 9 … Item 9C" pages.)
            out.append(PageContext(section, note, page_title(text)))
            continue
        for i, ln in enumerate(lines):
            inside = mid_line_notes(ln) if len(ln) > 60 and "note" in ln.lower() else []
            if inside and not _EN_SECTION.match(ln):
                note = inside[-1]   # the rest of the page is the new note's: it holds from the next page on
                continue
            if _EN_SECTION.match(ln):
                head = _section_heading(lines, i)
                if not head:
                    continue
                if head.lower().startswith("note"):
                    note = head
                else:
                    section, note = head, ""
                if i < 4:   # opens this page: the page belongs to it
                    page_section, page_note = section, note
            elif (_ZH_SECTION.match(ln) and len(ln) <= 40 and not _TOC_LEADER.search(ln)
                  and not _AMOUNT.search(ln)):   # "一、营业收入 22,047,555,197.04" is a row, not a heading
                if ln.startswith("第"):
                    section, note = ln, ""
                else:
                    note = ln
                if i < 4:
                    page_section, page_note = section, note
        out.append(PageContext(page_section, page_note, page_title(text)))
    return out
