"""Scoring rules for eval suites (the schema is shared with outside checks; keep it exact).

``history`` (earlier questions of the conversation, oldest first) makes ``q`` a follow-up.
An item passes when the answer is not abstained and every group in ``all`` has
a variant in the answer text (or, with ``any``, one group does); a ``refuse``
item passes when the answer abstains. Text is compared after NFKC, lower-casing
and removal of all whitespace, so "4 trillion" == "4trillion" and ％ == %.
"""
from __future__ import annotations

import json
import re
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

ITEM_KEYS = {"id", "q", "all", "any", "doc", "evidence", "refuse", "page", "history"}


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "").lower())


def load_suite(path: str | Path) -> list[dict]:
    items = []
    path = Path(path)
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{i}: invalid JSON ({e})") from None
        unknown = set(item) - ITEM_KEYS
        if unknown or "id" not in item or "q" not in item:
            raise ValueError(f"{path}:{i}: needs id and q; unknown keys {sorted(unknown)}")
        if not item.get("refuse") and not (item.get("all") or item.get("any")):
            raise ValueError(f"{path}:{i}: item {item['id']} has neither `all`/`any` nor `refuse`")
        items.append(item)
    return items


def answer_passes(item: dict, answer_text: str, abstained: bool) -> bool:
    if item.get("refuse"):
        return abstained
    if abstained:
        return False
    text = norm(answer_text)
    if "all" in item:
        return all(any(norm(v) in text for v in group) for group in item["all"])
    return any(any(norm(v) in text for v in group) for group in item["any"])


def overlaps(evidence: str, quote: str, min_common: int = 8) -> bool:
    e, q = norm(evidence), norm(quote)
    if not e or not q:
        return False
    if e in q or q in e:
        return True
    m = SequenceMatcher(None, e, q, autojunk=False).find_longest_match(0, len(e), 0, len(q))
    return m.size >= min(min_common, len(e))


def evidence_in(evidence: str, texts: list[str]) -> bool:
    e = norm(evidence)
    return any(e in norm(t) for t in texts)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    idx = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[idx]
