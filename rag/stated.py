"""Where a document states a measure: the chunks with a sentence whose subject is the measure asked.

In a long report the page that answers "What was revenue for the six months ended September 30,
2021?" says so in one sentence ("Revenue for the six months ended September 30, 2021 was
RMB123,456 million"), while dozens of pages repeat the period and mention revenue as what an
expense is measured against ("… as a percentage of revenue"). Neither keyword nor dense search
over chunks tells them apart: both reward the period's words, repeated. A sentence's subject
does (rag/evidence_periods.subject_clause: the clause before its first figure), so inside a scope
the document's figure-stating sentences are read once, their subjects kept, and a question's
measure is looked up among them.

Which sentences to read: those of the document's chunks that hold the measure's words at all, the
best ``MAX_CHUNKS`` of them by keyword score for those words alone. Each chunk's subjects are read
once (0.1-0.2 ms a chunk) and kept while the catalog is unchanged (``Catalog.derived``), so a
question costs a keyword search and the loop over those chunks' subjects (2-5 ms measured), and
the first time its chunks are read 15-60 ms more, whatever the size of the document.
"""
from __future__ import annotations

import re

from ingest.sentences import split_sentences

from .evidence_periods import subject_clause
from .glossary import expand
from .patterns import YEAR_IN_TEXT
from .statements import items_asked, tokens_outside_other_items
from .text import STOPWORDS, keyword_token_set

# chunks of the document read for a question, the best by keyword score for the measure alone. (Measured:
# with 60 the sentences that state the measure were missed for every question this feature answers)
MAX_CHUNKS = 150
MAX_KEPT = 50_000      # chunks whose subjects are kept (then the memory starts over)
_FIGURE = re.compile(r"\d")
_PREFIX = 300   # a subject is read from the opening of a sentence (a figure further in has a long one anyway)


def _subjects(text: str, context: str) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """(subject clause, its keyword tokens, the years of the sentence and the chunk's headings) of every
    sentence of a chunk that states a figure."""
    out = []
    context_years = set(YEAR_IN_TEXT.findall(context or ""))
    for a, b in split_sentences(text):
        s = text[a:b]
        if len(s) < 8 or not _FIGURE.search(s):
            continue
        subject = subject_clause(s[:_PREFIX])
        toks = keyword_token_set(subject)
        if toks:
            out.append((subject, toks, frozenset(context_years | set(YEAR_IN_TEXT.findall(s)))))
    return out


def chunks_stating(store, doc_id: str, focus: frozenset[str], asked_items: frozenset[str],
                   question_tokens: frozenset[str], years: set[str]) -> dict[str, float]:
    """chunk id -> how closely one of its sentences states the asked measure: its subject holds the
    measure (``focus``: keyword tokens) outside the name of another line item ("Cost of revenue was …"
    states no revenue), it is of an asked year (in the sentence or its headings) when the question names
    one, and the fewer words its subject has that the question does not ("Revenue from our cloud
    business …" is a part of revenue), the closer: 1 / (1 + such words)."""
    if not focus:
        return {}
    catalog = store.catalog
    ids = [c for c, _ in store.keyword_search(sorted(focus), MAX_CHUNKS, [doc_id])]
    kept = catalog.derived("stated_subjects", lambda docs: {})
    missing = [c for c in ids if c not in kept]
    if missing:
        if len(kept) + len(missing) > MAX_KEPT:
            kept.clear()
        for c, row in catalog.chunks_by_ids(missing).items():
            kept[c] = _subjects(row["text"], row.get("context") or "")
    # a measure of the vocabulary the question names ("revenue", 金融负债) must be in the subject itself: a
    # segment's name alone ("示例云集团 | 1,234 | 2,345", a row of another table) states no revenue
    measures = frozenset(k for k in asked_items if k)
    out: dict[str, float] = {}
    for chunk_id in ids:
        for subject, toks, said_years in kept.get(chunk_id, ()):
            if not toks & focus or (years and not said_years & years):
                continue
            if measures and not measures & items_asked(expand(subject)):
                continue   # (in either language: "…六个月的收入为" names the revenue asked in English)
            if not focus & tokens_outside_other_items(subject, asked_items):
                continue
            extra = {t for t in toks
                     if t not in question_tokens and t not in STOPWORDS and not t[0].isdigit() and len(t) > 1}
            out[chunk_id] = max(out.get(chunk_id, 0.0), 1.0 / (1 + len(extra)))
    return out
