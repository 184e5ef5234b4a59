"""Pages, not only chunks: rank the pages of the candidate chunks, then hand over their best chunks.

In a 100–300 page filing the page that answers a question is often a statement or a
table whose chunks each match the question weakly (a balance sheet's rows do not
repeat "working capital"), while a chunk of prose elsewhere matches it well. Ranking
pages lets evidence add up: several good chunks on one page lift the page, and so does
a page whose title is the statement the question needs (rag/statements.py).

A page's score is a linear function of a few features, with weights fitted on the
tune halves of the external benchmarks and the project's dev suites by
``python -m evals.fit_ranker`` and stored in ``rag/data/page_ranker.json``; the
defaults below are the starting point that fit replaced, kept for an index that has
no fitted file.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .questions import kind_of, search_text
from .glossary import written_out
from .statements import computed_items, concept_items, statements_asked, statements_named
from .text import CJK_CHAR as _CJK, STOPWORDS, keyword_token_set, keyword_tokens

WEIGHTS_FILE = Path(__file__).resolve().parent / "data" / "page_ranker.json"
FEATURES = ("rrf", "dense", "keyword", "hits", "statement", "title", "coverage", "first", "named_page", "items",
            "item_search", "stated")
DEFAULT_WEIGHTS = {"rrf": 1.0, "dense": 1.0, "keyword": 0.5, "hits": 0.3, "statement": 0.8, "title": 0.5,
                   "coverage": 1.0, "first": 0.0, "named_page": 1.0, "items": 0.5, "item_search": 0.5,
                   "stated": 0.0, "bias": 0.0}
# "on page 42", "p. 42", "第42页", "第 42 页": a question that names the page it is about
PAGE_REF = re.compile(r"(?i)\b(?:page|p\.)\s*(\d{1,4})\b|第\s*(\d{1,4})\s*页")


def pages_named(question: str) -> set[int]:
    return {int(a or b) for a, b in PAGE_REF.findall(question or "")}


@lru_cache(maxsize=4)
def load_weights(path: Path = WEIGHTS_FILE) -> dict[str, float]:
    if not path.is_file():
        return dict(DEFAULT_WEIGHTS)
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: float(data["weights"].get(k, 0.0)) for k in (*FEATURES, "bias")}


@dataclass
class PageCandidate:
    doc_id: str
    page: int | None
    chunks: list[str] = field(default_factory=list)     # chunk ids, best first
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


@lru_cache(maxsize=8192)
def _content_words(text: str) -> frozenset[str]:
    return frozenset(t for t in keyword_token_set(text) if t not in STOPWORDS and not t[0].isdigit() and len(t) > 1)



def page_candidates(question: str, rows: dict[str, dict], fused: dict[str, float], dense: dict[str, float],
                    keyword: dict[str, float], rrf_k: int, pages_text: dict[tuple, list[tuple]] | None = None,
                    idf: dict[str, float] | None = None, qvec=None,
                    items: dict[str, float] | None = None,
                    stated: dict[str, float] | None = None) -> list[PageCandidate]:
    """Group candidate chunks by page and compute each page's features.

    ``pages_text`` holds every chunk of each candidate page (id, unit vector, indexed tokens), so that
    the page-level features are the same for a page that came in through keyword or dense search and
    for one that came in by its title or its number: the best dense similarity of any chunk on it, and
    the share of the question's words (weighted by ``idf``) the page holds anywhere."""
    asked = statements_asked(question)
    named_pages = pages_named(question)
    q_words = _content_words(question)
    q_terms = [t for t in dict.fromkeys(keyword_tokens(search_text(question))) if t not in STOPWORDS and len(t) > 1]
    idf = idf or {}
    weight = {t: idf.get(t, 1.0) for t in q_terms}
    # what a named measure is computed from, and what an abbreviation stands for ("PPNE": a balance
    # sheet writes "property, plant and equipment")
    for t in keyword_tokens(" ; ".join(concept_items(question) + written_out(search_text(question)))):
        if t not in weight and t not in STOPWORDS and len(t) > 1:
            weight[t] = 0.5 * idf.get(t, 1.0)
    total = sum(weight.values()) or 1.0
    # the line items a measure the question names is computed from, each as a whole phrase: a page
    # holding "total current assets" and "total current liabilities" is where working capital is read.
    # (A measure that is one line item under other names, dividends, is no share of items: any one states it.)
    item_phrases = [ws for ws in dict.fromkeys(tuple(t for t in keyword_tokens(x) if t not in STOPWORDS)
                                               for x in computed_items(question)) if ws]
    pages_text = pages_text or {}
    unit = None
    if qvec is not None:
        import numpy as np

        unit = np.asarray(qvec, dtype=np.float32)
        unit = unit / (float(np.linalg.norm(unit)) or 1.0)
    kw_max = max(keyword.values(), default=0.0) or 1.0
    # a judgement on a measure ("is it capital intensive?") is read from its items' rows; a figure question
    # for the measure ("what was its operating margin?") from where the measure itself is stated
    items = items if items and kind_of(question) != "figure" else {}
    items_max = max(items.values(), default=0.0) or 1.0
    stated = stated or {}
    # the best dense similarity of any chunk on each page, in one product over all their vectors
    best_sim: dict[tuple, float] = {}
    if unit is not None:
        keys = [k for k, whole in pages_text.items() for _, v, _ in whole if v is not None]
        vecs = [v for whole in pages_text.values() for _, v, _ in whole if v is not None]
        if vecs:
            import numpy as np

            sims_all = np.einsum("ij,j->i", np.stack(vecs), unit)
            for k, sim in zip(keys, sims_all.tolist()):
                if sim > best_sim.get(k, -1.0):
                    best_sim[k] = sim
    pages: dict[tuple, PageCandidate] = {}
    for cid in sorted(rows, key=lambda c: -fused.get(c, 0.0)):
        r = rows[cid]
        # a text without pages is one long "page": there each chunk stands for itself
        key = (r["doc_id"], r["page"]) if r["page"] is not None else (r["doc_id"], None, cid)
        pc = pages.get(key)
        if pc is None:
            pc = pages[key] = PageCandidate(r["doc_id"], r["page"])
        pc.chunks.append(cid)
    for key, pc in pages.items():
        doc_id, page = key[0], key[1]
        scores = sorted((fused.get(c, 0.0) * (rrf_k + 1) for c in pc.chunks), reverse=True)
        contexts = " ".join(dict.fromkeys((rows[c].get("context") or "") for c in pc.chunks))
        head = contexts + " " + " ".join(rows[c]["text"][:120] for c in pc.chunks if rows[c].get("start", 1) == 0)
        named = statements_named(head)   # (cached in rag/statements.py: pages recur across questions)
        title_words = _content_words(contexts)
        whole = pages_text.get((doc_id, page), []) if page is not None else []
        tokens = ({t for _, _, toks in whole for t in toks} if page is not None
                  else set(keyword_token_set(rows[pc.chunks[0]]["text"])) | keyword_token_set(contexts))
        sims = [best_sim[(doc_id, page)]] if page is not None and (doc_id, page) in best_sim else []
        sims += [dense.get(c) or 0.0 for c in pc.chunks]
        pc.features = {
            "rrf": scores[0] + 0.5 * (scores[1] if len(scores) > 1 else 0.0),
            "dense": max(sims, default=0.0),
            "keyword": max((keyword.get(c) or 0.0) for c in pc.chunks) / kw_max,
            "hits": math.log1p(len(pc.chunks)),
            "statement": max((asked.get(s, 0.0) for s in named), default=0.0),
            "title": len(q_words & title_words) / len(q_words) if q_words else 0.0,
            "coverage": sum(w for t, w in weight.items() if t in tokens) / total if tokens else 0.0,
            "first": 1.0 if (page or 0) <= 1 else 0.0,
            "named_page": 1.0 if page in named_pages else 0.0,
            "items": _items_share(item_phrases, tokens),
            # the keyword score of the page in the search for the measure's line items: a statement that
            # joined by its title has no score in the question's own keyword search
            "item_search": max((items.get(c) or 0.0) for c in pc.chunks) / items_max,
            # a sentence on the page whose subject is the asked measure, of the asked year (rag/stated.py)
            "stated": max((stated.get(c) or 0.0) for c in pc.chunks),
        }
    return list(pages.values())


def _items_share(item_phrases: list[tuple[str, ...]], tokens: set[str]) -> float:
    """The share of a measure's line items a page holds, each a whole phrase, counted among the items
    written in the page's language (an English page cannot hold "购建固定资产", nor a Chinese one "capex")."""
    if not item_phrases or not tokens:
        return 0.0
    cjk_page = any(_CJK.search(t) for t in tokens)
    same = [ws for ws in item_phrases if bool(_CJK.search(ws[0])) == cjk_page] or item_phrases
    return sum(all(t in tokens for t in ws) for ws in same) / len(same)



def rank_pages(pages: list[PageCandidate], weights: dict[str, float] | None = None) -> list[PageCandidate]:
    w = weights or load_weights()
    for pc in pages:
        pc.score = w.get("bias", 0.0) + sum(w.get(f, 0.0) * v for f, v in pc.features.items())
    return sorted(pages, key=lambda p: -p.score)


def pick_passages(pages: list[PageCandidate], k: int) -> list[str]:
    """The best chunk of each top page first, then the second chunks of the top pages, and so on,
    up to ``k``."""
    out: list[str] = []
    depth = 0
    while len(out) < k and any(depth < len(pc.chunks) for pc in pages):
        for pc in pages:
            if len(out) >= k:
                break
            if depth < len(pc.chunks):
                out.append(pc.chunks[depth])
        depth += 1
    return out



def statement_query(question: str) -> list[str]:
    """Keyword tokens of the titles of the statements a question needs (extra candidates: a
    statement page whose rows match none of the question's words still gets considered)."""
    from .statements import vocabulary

    asked = statements_asked(question)
    if not asked:
        return []
    words: list[str] = []
    for p in vocabulary().titles:
        if p.statement in asked:
            words += list(p.words) or keyword_tokens(p.text)
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and not re.fullmatch(r"\d+", w)))
