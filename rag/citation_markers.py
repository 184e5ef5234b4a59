"""Citation markers in generated text: ``[1]``, ``[1, 2]``, ``[1][2]``, ``【1】``, ``[1-3]``, ``[passage 2]``."""
from __future__ import annotations

import re

_CITE_BODY = r"(?:passages?|source|ref|p\.?|\^|来源|段落|资料)?\s*(\d{1,3}(?:\s*(?:[,，、;；]|[-–~])\s*\d{1,3})*)"
_CITATION = re.compile(r"\[\s*" + _CITE_BODY + r"\s*\]|【\s*" + _CITE_BODY + r"\s*】", re.I)
CITATION_RUN = re.compile(r"^\s*(?:(?:\[\s*" + _CITE_BODY + r"\s*\]|【\s*" + _CITE_BODY + r"\s*】)\s*)+", re.I)


def parse_citations(text: str) -> list[tuple[int, int, list[int]]]:
    """Citation markers in ``text``: (start, end, [passage numbers]) in order."""
    out = []
    for m in _CITATION.finditer(text):
        body = m.group(1) or m.group(2)
        nums: list[int] = []
        for part in re.split(r"\s*[,，、;；]\s*", body):
            r = re.fullmatch(r"(\d+)\s*[-–~]\s*(\d+)", part)
            if r:
                a, b = int(r.group(1)), int(r.group(2))
                nums.extend(range(a, b + 1) if 0 < b - a < 20 else [a, b])
            elif part.strip():
                nums.append(int(part))
        out.append((m.start(), m.end(), nums))
    return out


def strip_citations(text: str) -> str:
    """``text`` with citation markers blanked out (same length, so offsets still hold)."""
    return _CITATION.sub(lambda m: " " * (m.end() - m.start()), text)
