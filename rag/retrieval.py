"""Hybrid retrieval as a LangChain retriever: dense (Chroma) + keyword (FTS5/BM25), fused.

Dense vectors carry meaning across languages (an English question finds a
Chinese passage); keyword search makes exact numbers and names count ("26%",
"ARK", "Qwen3-Omni"). Reciprocal-rank fusion combines them without having to
calibrate their scores against each other.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .glossary import expand
from .text import tokens

RRF_K = 60

_POOL = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rag-keyword")
    return _POOL


def rrf(rankings: list[list[str]], weights: list[float] | None = None) -> dict[str, float]:
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + w / (RRF_K + rank + 1)
    return scores


class HybridRetriever(BaseRetriever):
    """Returns Documents whose metadata has chunk_id, doc_id, page, start, end, score, dense."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    embedder: Any
    k: int = 6
    candidates: int = 30
    reranker: Any = None
    doc_ids: list[str] | None = None   # restrict to these documents (inside the store query)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None,
                                **kwargs) -> list[Document]:
        return self.search(query, doc_ids=kwargs.get("doc_ids", self.doc_ids), k=kwargs.get("k", self.k))

    def search(self, query: str, doc_ids: list[str] | None = None, k: int | None = None,
               query_vector=None) -> list[Document]:
        k = k or self.k
        # glossary terms of the other language: 净利润 also searches 'net income'. Keyword search
        # (SQLite, which releases the GIL) runs on another thread while the question is embedded and
        # Chroma searched: at 100k chunks the two sides take similar time
        keyword_future = _pool().submit(self.store.keyword_search, tokens(expand(query)), self.candidates, doc_ids)
        try:
            qvec = (query_vector if query_vector is not None
                    else np.asarray(self.embedder.embed_query(query), dtype=np.float32))
            dense = self.store.dense_search(qvec, self.candidates, doc_ids)
        finally:
            keyword = keyword_future.result()
        fused = rrf([[c for c, _ in dense], [c for c, _ in keyword]])
        dense_sim = dict(dense)
        kw_score = dict(keyword)
        order = sorted(fused, key=lambda c: -fused[c])
        pool = order[: max(k, self.candidates if self.reranker else k)]
        rows = self.store.catalog.chunks_by_ids(pool)
        pool = [c for c in pool if c in rows]
        if self.reranker is not None and pool:
            scores = self.reranker.score(query, [rows[c]["text"] for c in pool])
            pool = [c for _, c in sorted(zip(scores, pool), key=lambda t: -t[0])]
        docs = []
        for cid in pool[:k]:
            r = rows[cid]
            docs.append(Document(page_content=r["text"], metadata={
                "chunk_id": cid, "doc_id": r["doc_id"], "page": r["page"] or None, "start": r["start"],
                "end": r["end"], "score": fused[cid], "dense": dense_sim.get(cid), "keyword": kw_score.get(cid),
                "context": r.get("context") or "",   # the table header of a chunk cut from a table
            }))
        return docs
