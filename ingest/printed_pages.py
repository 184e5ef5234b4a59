"""Printed page numbers in text extracted from a PDF without page breaks.

A text layer saved as plain text (no form feeds, no declared separator) often
still holds each page's printed number on a line of its own: "1", "2", "3" …
at the top or foot of every page. Finding them gives the document its pages
back, so that a page's title and section reach its chunks, the page ranker has
pages to rank, and a citation names a page instead of the whole file.

A table whose cells sit one per line also has lines that are bare numbers. A
number line between two lines of figures is such a cell and never a page
number; the rest count only as part of a run: consecutive values (n, n+1, n+2 …)
in document order, each at least MIN_LINES_BETWEEN lines after the previous
one and at most MAX_LINES_BETWEEN. Several reports concatenated into one file
give several runs (each restarting its numbering); every run of at least
MIN_RUN pages whose span does not overlap a longer run is kept.
"""
from __future__ import annotations

import re

_NUMBER_LINE = re.compile(r"[ \t]*(?:-[ \t]*)?(\d{1,4})(?:[ \t]*-)?[ \t]*")
_FIGURE_LINE = re.compile(r"[\s(\-–$¥€£%]*\d[\d,.\s)%]*")
# A printed page holds more than a few lines; a run of numbers closer than
# this is a table column, not page numbers.
MIN_LINES_BETWEEN = 5
# A page of one-cell-per-line table text runs to a few hundred lines; a gap
# far beyond that means the next number is not this run's next page.
MAX_LINES_BETWEEN = 800
# Fewer consecutive numbers than this are as likely a list or a table.
MIN_RUN = 5


def printed_page_breaks(lines: list[str]) -> list[int]:
    """Indexes of the lines that are printed page numbers, in order ([] when none are found)."""
    numbers = [(i, int(m.group(1))) for i, line in enumerate(lines)
               if (m := _NUMBER_LINE.fullmatch(line)) and not _inside_column(lines, i)]
    # Longest run ending at each number line: its predecessor is the number line
    # holding value - 1 in the allowed distance with the longest run of its own.
    run_length: list[int] = []
    previous: list[int | None] = []
    ending_at: dict[int, list[int]] = {}  # value -> positions in `numbers`
    for k, (line, value) in enumerate(numbers):
        best, best_k = 0, None
        for j in ending_at.get(value - 1, ()):
            gap = line - numbers[j][0]
            # ties go to the latest: a report's page 2 follows its own page 1, not an earlier report's
            if MIN_LINES_BETWEEN <= gap <= MAX_LINES_BETWEEN and run_length[j] >= best:
                best, best_k = run_length[j], j
        run_length.append(best + 1)
        previous.append(best_k)
        ending_at.setdefault(value, []).append(k)

    # longest runs first; a run overlapping one already kept (a part of it, or table cells inside it) is not
    spans: list[tuple[int, int]] = []
    breaks: list[int] = []
    for k in sorted(range(len(numbers)), key=lambda k: (-run_length[k], numbers[k][0])):
        if run_length[k] < MIN_RUN:
            break
        run, j = [], k
        while j is not None:
            run.append(j)
            j = previous[j]
        first, last = numbers[run[-1]][0], numbers[run[0]][0]
        if any(first <= b and a <= last for a, b in spans):
            continue
        spans.append((first, last))
        breaks.extend(numbers[j][0] for j in run)
    return sorted(breaks)


def _inside_column(lines: list[str], i: int) -> bool:
    """Whether the nearest non-blank lines above and below line i both hold a figure alone."""
    def neighbour(step: int) -> str:
        j = i + step
        while 0 <= j < len(lines) and not lines[j].strip():
            j += step
        return lines[j] if 0 <= j < len(lines) else ""
    return all(_FIGURE_LINE.fullmatch(neighbour(step)) for step in (-1, 1))


def split_printed_pages(text: str) -> list[str] | None:
    """The text cut at its printed page-number lines (which are dropped), or None when it has none.
    The text before the first number is a page of its own (a cover) when it holds anything."""
    lines = text.split("\n")
    breaks = printed_page_breaks(lines)
    if not breaks:
        return None
    pages, start = [], 0
    for b in breaks:
        pages.append("\n".join(lines[start:b]))
        start = b + 1
    pages.append("\n".join(lines[start:]))
    if not pages[0].strip():
        pages = pages[1:]
    return pages
