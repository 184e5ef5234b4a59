"""Hybrid retrieval as a LangChain retriever: dense (Chroma) + keyword (FTS5/BM25), fused.

Dense vectors carry meaning across languages (an English question finds a
Chinese passage); keyword search makes exact numbers and names count ("26%",
"ARK", "Qwen3-Omni"). Reciprocal-rank fusion combines them without having to
calibrate their scores against each other.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .glossary import expand
from .ranking import page_candidates, pages_named, pick_passages, statement_query
from .ranking import rank_pages as rank_page_candidates
from .evidence import AUDIT_FIRM_WORDS, asks_auditor, focus_stems
from .patterns import YEAR_IN_TEXT
from .questions import kind_of, read, search_text
from .stated import chunks_stating
from .settings import RetrievalSettings
from .glossary import written_out
from .statements import concept_items, items_asked, statements_asked, title_phrases
from .text import STOPWORDS, keyword_token_set, keyword_tokens

RRF_K = RetrievalSettings.model_fields["rrf_k"].default   # the retrieval.rrf_k setting's (rag/settings.py)

_POOL = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rag-keyword")
    return _POOL


def rrf(rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K) -> dict[str, float]:
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank + 1)
    return scores


_LONG_WORD = re.compile(r"\b[A-Za-z]{7,}\b")


def split_compounds(text: str, catalog) -> str:
    """``text`` with a word that no indexed chunk holds written as the two indexed words it joins
    ("free cashflow" -> "free cash flow" where the filings write "cash flow"; "topline", "healthcare").
    Both parts must be words of the index (or stop words, one at most) of three letters or more; of
    several ways to cut a word, the most even one. A word the index holds stays as it is, and so does
    a name (capitalised inside the text, or in capitals: "Salesforce" is no "sales force")."""
    words = list(dict.fromkeys(m.group(0) for m in _LONG_WORD.finditer(text or "")
                               if m.group(0).islower() or (m.start() == 0 and m.group(0)[1:].islower())))
    if not words:
        return text
    stem = {w: (keyword_tokens(w) or [""])[0] for w in words}
    cuts = {w: [(w[:i], w[i:]) for i in range(3, len(w) - 2)] for w in words}
    parts = {p for cs in cuts.values() for c in cs for p in c}
    part_stem = {p: (keyword_tokens(p) or [""])[0] for p in parts}
    _, df = catalog.document_frequencies([t for t in [*stem.values(), *part_stem.values()] if t])
    out = text
    for w in words:
        if not stem[w] or df.get(stem[w], 0) > 0:
            continue

        def known(p: str) -> bool:
            return df.get(part_stem[p], 0) > 0

        fits = [(a, b) for a, b in cuts[w]
                if (known(a) or a.lower() in STOPWORDS) and (known(b) or b.lower() in STOPWORDS)
                and (known(a) or known(b))]
        if fits:
            a, b = max(fits, key=lambda c: min(len(c[0]), len(c[1])))
            out = re.sub(rf"\b{w}\b", f"{a} {b}", out)
    return out


class HybridRetriever(BaseRetriever):
    """Returns Documents whose metadata has chunk_id, doc_id, page, start, end, score, dense."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    embedder: Any
    k: int = 6
    candidates: int = 30
    reranker: Any = None
    doc_ids: list[str] | None = None   # restrict to these documents (inside the store query)
    rrf_k: int = RRF_K
    page_weights: dict | None = None   # the page ranker's; None: the shipped rag/data/page_ranker.json

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None,
                                **kwargs) -> list[Document]:
        return self.search(query, doc_ids=kwargs.get("doc_ids", self.doc_ids), k=kwargs.get("k") or self.k,
                           query_vector=kwargs.get("query_vector"), question=kwargs.get("question"),
                           rank_pages=kwargs.get("rank_pages", True))

    def candidates_for(self, query: str, doc_ids: list[str] | None = None, query_vector=None,
                       statements: bool = True, question: str | None = None) -> "Candidates":
        """Dense and keyword candidates for ``query``, fused, with their rows, every candidate's dense
        similarity, and the pages of the statements ``question`` needs (when ``statements``)."""
        question = question or query
        query = search_text(query)   # without "Round your answer to …" and other instructions
        # glossary terms of the other language: 净利润 also searches 'net income'. Keyword search
        # (SQLite, which releases the GIL) runs on another thread while the question is embedded and
        # Chroma searched: at 100k chunks the two sides take similar time
        words = expand(query)
        if kind_of(question) == "who" and asks_auditor(question):
            words += " ; " + AUDIT_FIRM_WORDS   # (who audits is answered by a firm's name)
        keyword_future = _pool().submit(self.store.keyword_search, keyword_tokens(words), self.candidates, doc_ids)
        titles = statement_query(question) if statements else []
        title_future = (_pool().submit(self.store.keyword_search, titles, self.candidates // 2, doc_ids)
                        if titles else None)
        # the line items a named measure is computed from ("capital intensive" -> capital expenditures, ...)
        items = keyword_tokens(" ; ".join(concept_items(question))) if statements else []
        items_future = (_pool().submit(self.store.keyword_search, items, self.candidates // 2, doc_ids)
                        if items else None)
        # inside one document, the chunks whose sentences state the asked measure as their subject
        in_scope = bool(doc_ids) and len(doc_ids) == 1
        stated = self._stated(query, doc_ids[0]) if statements and in_scope else {}
        try:
            qvec = (query_vector if query_vector is not None
                    else np.asarray(self.embedder.embed_query(query), dtype=np.float32))
            dense = self.store.dense_search(qvec, self.candidates, doc_ids)
        finally:
            keyword = keyword_future.result()
            by_title = title_future.result() if title_future is not None else []
            by_items = items_future.result() if items_future is not None else []
        fused = rrf([[c for c, _ in dense], [c for c, _ in keyword]], k=self.rrf_k)
        # statement pages, and a page the question names ("第169页"), join the candidates without a
        # fused score of their own (their rows may match none of the question's words)
        ids = list(dict.fromkeys([*fused, *(c for c, _ in by_title), *(c for c, _ in by_items),
                                  *sorted(stated, key=lambda c: -stated[c])[:self.candidates // 3],
                                  *self._statement_page_chunks(question, doc_ids),
                                  *self._named_page_chunks(question, doc_ids)]))
        sims = dict(dense)
        unit = qvec / (float(np.linalg.norm(qvec)) or 1.0)
        for cid, vec in self.store.catalog.vectors_of([c for c in ids if c not in sims]).items():
            sims[cid] = float(vec @ unit)   # stored unit vectors: the same cosine Chroma gives
        # the items search as page evidence only inside one document: across documents it finds another
        # company's statements, or the same company's of another year, as readily as the asked ones
        return Candidates(fused, sims, dict(keyword), self.store.catalog.chunks_by_ids(ids), qvec,
                          dict(by_items) if in_scope else {}, stated)

    def _stated(self, query: str, doc_id: str) -> dict[str, float]:
        """A figure question's measure, looked up among the subjects of the document's sentences (rag/stated.py).
        (A measure computed from line items, "working capital", is looked for by its items instead.)"""
        q = read(query)
        if q.kind != "figure" or concept_items(query):
            return {}
        return chunks_stating(self.store, doc_id, focus_stems(q), items_asked(expand(query)),
                              keyword_token_set(query), set(YEAR_IN_TEXT.findall(search_text(query))))

    def _statement_page_chunks(self, question: str, doc_ids: list[str] | None) -> list[str]:
        """Inside a small scope, the pages titled as the statements the question needs (a balance
        sheet's rows need not repeat "working capital" to be the page that answers it)."""
        asked = statements_asked(question)
        if not asked or not doc_ids or len(doc_ids) > 5:
            return []
        return self.store.catalog.pages_titled(doc_ids, title_phrases(asked))

    def _named_page_chunks(self, query: str, doc_ids: list[str] | None) -> list[str]:
        pages = pages_named(query)
        if not pages:
            return []
        docs = doc_ids
        if docs is None:   # without a scope, only in a small index ("page 42" of which document?)
            all_docs = self.store.catalog.documents()
            docs = [d["doc_id"] for d in all_docs] if len(all_docs) <= 3 else []
        if not docs or len(docs) > 5:
            return []
        return [c for p in sorted(pages) for c in self.store.catalog.chunk_ids_on_page(docs, p)]

    def search(self, query: str, doc_ids: list[str] | None = None, k: int | None = None,
               query_vector=None, rank_pages: bool = True, question: str | None = None) -> list[Document]:
        """The ``k`` passages for ``query`` within ``doc_ids``; ``question`` (default: the query) is
        the user's full question, whose statements and named pages steer the page ranking."""
        k = k or self.k
        question = question or query
        # a compound the filings write as two words ("cashflow" / "cash flow") searches for those
        split = split_compounds(query, self.store.catalog)
        question = split if question == query else split_compounds(question, self.store.catalog)
        query = split
        want = max(k, self.candidates if self.reranker else k)
        cands = self.candidates_for(query, doc_ids, query_vector, statements=rank_pages, question=question)
        rows, fused = cands.rows, cands.fused
        page_score = {}
        if rank_pages:
            pages = rank_page_candidates(self.pages_of(question, cands), self.page_weights)
            pool = pick_passages(pages, want)
            page_score = {c: pc.score for pc in pages for c in pc.chunks}
        else:
            pool = [c for c in sorted(fused, key=lambda c: -fused[c]) if c in rows][:want]
        if self.reranker is not None and pool:
            # a cross-encoder reads the user's whole question, not the keyword query a scope stripped of the
            # company's name and period
            scores = self.reranker.score(question, [rows[c]["text"] for c in pool])
            pool = [c for _, c in sorted(zip(scores, pool), key=lambda t: -t[0])]
        docs = []
        for cid in pool[:k]:
            r = rows[cid]
            docs.append(Document(page_content=r["text"], metadata={
                "chunk_id": cid, "doc_id": r["doc_id"], "page": r["page"] or None, "start": r["start"],
                "end": r["end"], "score": fused.get(cid, 0.0), "dense": cands.dense.get(cid),
                "keyword": cands.keyword.get(cid), "page_score": page_score.get(cid),
                "context": r.get("context") or "",   # section, page title, table header (ingest/headings.py)
            }))
        return docs


    def pages_of(self, question: str, cands: "Candidates") -> list:
        """The candidates' pages with their ranking features."""
        catalog = self.store.catalog
        keys = list(dict.fromkeys((r["doc_id"], r["page"]) for r in cands.rows.values()))
        terms = keyword_tokens(search_text(question) + " ; " + " ; ".join(concept_items(question) +
                                                                           written_out(search_text(question))))
        n, df = catalog.document_frequencies(terms)
        # Robertson/Sparck Jones idf, floored at a little above zero like FTS5's
        idf = {t: max(1e-3, math.log((n - d + 0.5) / (d + 0.5) + 1.0)) for t, d in df.items()}
        return page_candidates(question, cands.rows, cands.fused, cands.dense, cands.keyword, self.rrf_k,
                               catalog.page_chunks(keys), idf, cands.qvec, cands.items, cands.stated)


@dataclass
class Candidates:
    fused: dict[str, float]     # chunk id -> reciprocal-rank fusion score
    dense: dict[str, float]     # chunk id -> cosine similarity (dense candidates)
    keyword: dict[str, float]   # chunk id -> BM25 (keyword candidates)
    rows: dict[str, dict]       # chunk id -> catalog row (all candidates)
    qvec: Any = None            # the query's vector
    items: dict[str, float] = field(default_factory=dict)   # chunk id -> BM25 in the search for a measure's items
    stated: dict[str, float] = field(default_factory=dict)  # chunk id -> how closely it states the measure (rag/stated.py)
