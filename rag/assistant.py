"""The public API: ``from rag import Assistant``."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .answer_model import configured_model
from .answering import ExtractiveAnswerer
from .embeddings import Embedder, make_embedder
from .indexing import Progress, ingest_lock, ingest_paths
from .pipeline import build as build_pipeline
from .prompts import cannot_answer
from .questions import search_text
from .ranking import load_weights
from .retrieval import HybridRetriever
from .scoping import (DocumentIndex, Scope, dominant_issuer, filter_documents, fuse_preferring, issuer_documents,
                      scope_question)
from .settings import Settings, current
from .store import IndexStore
from .text import keyword_tokens, language_of, normalize, preload_in_background
from .types import Answer, IngestReport


class Assistant:
    """Creates or opens an index and answers questions over it with citations.

    >>> a = Assistant(index_dir="some/dir")
    >>> a.ingest(["corpus/"])
    >>> a.ask("公司在哪些国家开设数据中心？").citations
    """

    def __init__(self, index_dir: str | Path | None = None, *, embedder: str | Embedder | None = None,
                 reranker=None, chroma_url: str | None = None, settings: Settings | None = None,
                 answerer: str | None = None, **overrides):
        """``settings``: what to start from (default: this process's, rag.settings.current(): the
        settings file and environment, or the `rag` command's); the other arguments override its
        fields (``top_k=6``, ``llm_model="m"``: the keywords of the README's settings table)."""
        self.settings = (settings or current()).with_overrides(
            index_dir=index_dir, chroma_url=chroma_url,
            embedder=embedder if isinstance(embedder, str) else None,
            reranker=reranker if isinstance(reranker, str) else None, **overrides)
        s = self.settings
        self.embedder = embedder if isinstance(embedder, Embedder) else make_embedder(s.embedder.spec, settings=s)
        if reranker is not None and not isinstance(reranker, str):
            self.reranker = reranker
        elif s.retrieval.reranker:
            from .reranking import make_reranker

            self.reranker = make_reranker(s.retrieval.reranker, settings=s)
        else:
            self.reranker = None
        self.store = IndexStore(s.store.index_dir, self.embedder.id, s.store.collection, s.store.chroma_url,
                                embedder_spec=None if isinstance(embedder, Embedder) else s.embedder.spec,
                                chroma_timeout=s.store.chroma_timeout, overfetch_factor=s.store.overfetch_factor,
                                scope_cache_mb=s.store.scope_cache_mb)
        self.retriever = HybridRetriever(store=self.store, embedder=self.embedder, k=s.retrieval.top_k,
                                         candidates=s.retrieval.candidates, reranker=self.reranker,
                                         rrf_k=s.retrieval.rrf_k, page_weights=load_weights(s.retrieval.page_ranker_file))
        self.extractive = ExtractiveAnswerer(embedder=self.embedder, catalog=self.store.catalog,
                                             known_terms=self._known_terms(), model=configured_model(s.answering),
                                             min_entity_sim=s.answering.min_entity_sim)   # also the LLM's fallback
        self._llm_answerer = None         # built on first use
        if answerer not in (None, "extractive", "llm"):
            raise ValueError(f"unknown answerer {answerer!r}: use 'extractive' or 'llm'")
        self.default_answerer = answerer or ("llm" if self.llm_configured else "extractive")
        if self.default_answerer == "llm":
            self.answerer_for("llm")      # a misconfigured endpoint fails here, not on the first question
        self.pipeline = build_pipeline(self)
        if s.preload:   # model + jieba load now, not on the first question
            preload_in_background(self.embedder)

    @property
    def llm_configured(self) -> bool:
        return bool(self.settings.llm.base_url and self.settings.llm.model)

    def llm_answerer(self, chat_model):
        """An LLM answerer over this index with the given LangChain chat model (for a call's ``answerer``)."""
        from .llm import LLMAnswerer

        return LLMAnswerer.from_settings(self.settings, fallback=self.extractive, catalog=self.store.catalog,
                                         llm=chat_model)

    def answerer_for(self, mode=None):
        """The answerer a call asks for: ``extractive``, ``llm``, None for this assistant's default, or
        an answerer (a Runnable mapping {"question", "documents"} to an Answer) to use as it is."""
        if mode is not None and not isinstance(mode, str):
            return mode
        mode = mode or self.default_answerer
        if mode == "extractive":
            return self.extractive
        if mode != "llm":
            raise ValueError(f"unknown answerer {mode!r}: use 'extractive' or 'llm'")
        if self._llm_answerer is None:
            from .llm import LLMAnswerer, make_chat_model

            self._llm_answerer = LLMAnswerer.from_settings(self.settings, fallback=self.extractive,
                                                           catalog=self.store.catalog, llm=make_chat_model(self.settings))
        return self._llm_answerer

    def chat_model(self, mode: str | None = None):
        """The chat model behind ``mode``'s answerer (it also rewrites follow-ups), or None."""
        answerer = self.answerer_for(mode)
        return getattr(answerer, "llm", None) if answerer is not self.extractive else None

    @property
    def answerer(self):
        """The default answerer (``extractive`` unless an LLM is configured)."""
        return self.answerer_for(None)

    @property
    def llm(self):
        return self.chat_model(None)

    @property
    def index_dir(self) -> Path:
        return self.settings.store.index_dir

    def _known_terms(self) -> frozenset:
        terms = set()
        for d in self.store.catalog.documents():
            m = d["meta"]
            for t in [m.get("issuer", "")] + list(m.get("tickers", [])) + list(m.get("aliases", [])):
                if t:
                    terms.add(normalize(t))
                    terms.update(w for w in normalize(t).split() if len(w) > 1)  # "Acme Rock Bank" -> acme, rock, bank
                    terms.update(re.sub(r"['’]s\b", "", w) for w in normalize(t).split())  # McKay's -> mckay
        return frozenset(terms)

    # -- documents ---------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path] | str | Path, progress: Progress | None = None) -> IngestReport:
        if isinstance(paths, (str, Path)):
            paths = [paths]
        with ingest_lock(self.index_dir):
            options = self.settings.ingest
            report = ingest_paths(self.store, self.embedder, list(paths), options.chunk_size, progress,
                                  pipeline=options.pipeline, workers=options.workers,
                                  shared_corpus=options.shared_corpus)
            self.store.refresh_keyword_index()
        self.extractive.known_terms = self._known_terms()
        return report

    def sources(self) -> list[dict]:
        return self.store.catalog.documents()

    def remove(self, doc_id: str) -> bool:
        with ingest_lock(self.index_dir):
            removed = self.store.remove(doc_id)
            if removed:
                self.store.refresh_keyword_index()
                self.page_images.prune()   # its cached page images go with it
        self.extractive.known_terms = self._known_terms()
        return removed

    def page_text(self, doc_id: str, page: int | None) -> str | None:
        return self.store.catalog.page_text(doc_id, page)

    # -- cited PDF pages (rag/page_images.py; PNGs cached under <index>/pages/) -------------
    @functools.cached_property
    def page_images(self):
        from .page_images import PageImages

        return PageImages(self.store.catalog, Path(self.index_dir).resolve() / "pages")

    def page_image(self, doc_id: str, page: int, highlight=None) -> bytes:
        """A PDF page as PNG bytes; ``highlight``: a Citation (or its dict) on that page, whose
        quote is marked. Raises PageImageError (not a PDF, file gone or changed, no such page)."""
        return self.page_images.image(doc_id, page, highlight)

    def quote_boxes(self, citation):
        """Where a citation's quote is on its PDF page (a QuoteBoxes: page size and [x0, top, x1,
        bottom] boxes in points from the top left); None for other documents."""
        return self.page_images.quote_boxes(citation)

    # -- questions ---------------------------------------------------------------
    def retrieve(self, question: str, k: int | None = None, doc_ids: list[str] | None = None):
        return self.retriever.search(question, doc_ids=doc_ids, k=k)

    # -- metadata and scope ---------------------------------------------------------
    def facets(self) -> dict:
        """Filter values the index knows (for menus): company, kind, period, doc."""
        from .scoping import facets

        return facets(self._document_index())

    def _document_index(self):
        # the user's alias files (<index>/aliases.toml, RAG_ALIASES) apply from the next question on
        from .metadata import alias_paths, load_aliases

        aliases = load_aliases(alias_paths(self.index_dir))
        return self.store.catalog.derived(f"document_index:{aliases.signature()}",
                                          lambda docs: DocumentIndex(docs, aliases))

    def company_name_spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` names a company of the index (issuer, short name, ticker, alias)."""
        from .company_names import find_names

        if self.store.catalog.count_chunks() == 0:
            return []
        return [span for span, _ in find_names(text, self._document_index().names)]

    def _mentioned(self, name: str) -> bool:
        """Whether ``name`` appears in the indexed text (a company the documents discuss)."""
        toks = keyword_tokens(name)          # as the keyword index holds them (English words stemmed)
        return self.store.catalog.has_terms(toks, phrase=not any("\u3400" <= t[:1] <= "\u9fff" for t in toks))

    def tag(self, doc_id: str, **changes) -> dict:
        """Correct a document's metadata: ``tag("doc", issuer="…", tickers="ACM,9999", period="FY2025")``.

        Values are normalised (kind names, period labels, ISO dates); an empty value
        clears a field. Tagged fields are kept when the file is re-ingested.
        """
        from .metadata import normalize_tag

        doc = self.store.catalog.document(doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id!r} in {self.index_dir} (see `rag sources`)")
        clean = {key: normalize_tag(key, value) for key, value in changes.items()}
        meta = doc["meta"]
        inferred = {k: v for k, v in (meta.get("inferred") or {}).items() if k not in clean}
        tagged = sorted(set(meta.get("tagged") or []) | set(clean))
        with ingest_lock(self.index_dir):
            updated = self.store.catalog.update_meta(doc_id, {**clean, "inferred": inferred, "tagged": tagged})
        self.extractive.known_terms = self._known_terms()
        return updated

    def resolve_scope(self, question: str, *, doc_ids: list[str] | None = None, filters: dict | None = None,
                      scope: bool = True) -> Scope | None:
        """Which documents to search: explicit filters/doc_ids, else the question's own scope, else None."""
        filters = dict(filters or {})
        unknown = set(filters) - {"company", "kind", "period", "doc"}
        if unknown:
            raise ValueError(f"unknown filter(s) {sorted(unknown)}: use company, kind, period, doc")
        if doc_ids:
            extra = filters.get("doc") or []
            filters["doc"] = list(doc_ids) + ([extra] if isinstance(extra, str) else list(extra))
        documents = self._document_index()
        if any(filters.get(k) for k in ("company", "kind", "period", "doc")):
            from .scoping import is_comparison

            sc = filter_documents(documents, **{k: filters.get(k) for k in ("company", "kind", "period", "doc")})
            sc.comparison = sc.comparison or is_comparison(question)
            if not sc.query:
                # the question may still name the company, period or kind ("指南针2025年年报里，…"): keyword
                # search inside the chosen documents leaves those words out, as it does for a scope the
                # question sets (a product named after the company, "指南针财务数据分析系统", is no answer to
                # every question that names the company)
                own = scope_question(question, documents, mentioned=self._mentioned)
                sc.query = own.query if own is not None else ""
            return sc
        if scope:
            return scope_question(question, documents, mentioned=self._mentioned)
        return None

    def _search(self, query: str, config=None, **kw):
        """The retriever, as a LangChain runnable when a run config (callbacks) comes with the call."""
        if config is not None:
            return self.retriever.invoke(query, config=config, **kw)
        return self.retriever.search(query, **kw)

    def _scoped_search(self, question: str, k, qvec, sc: Scope | None, one_issuer: bool, config=None):
        full = question
        doc_ids = sc.doc_ids if sc is not None else None
        # inside a scope, keyword search leaves out the words the scope already applied (names,
        # periods, kinds); the dense side keeps the whole question (qvec)
        if sc is not None and sc.query and doc_ids:
            question = sc.query
        if sc is not None and sc.preferred:
            # a soft scope: the preferred documents and the whole index, fused with the preferred ahead
            scoped = self._search(sc.query or question, config, doc_ids=sc.preferred, k=k, query_vector=qvec,
                                  question=full)
            unscoped = self._search(question, config, doc_ids=None, k=k, query_vector=qvec, question=full)
            docs = fuse_preferring(scoped, unscoped, k or self.retriever.k)
        else:
            docs = self._search(question, config, doc_ids=doc_ids, k=k, query_vector=qvec, question=full)
        if sc is None or not one_issuer or sc.comparison or not docs:
            return docs
        # one issuer per answer: passages from several companies -> the best passage's company only
        index = self._document_index()
        key = dominant_issuer([d.metadata["doc_id"] for d in docs], index)
        if key is None:
            return docs
        ids = issuer_documents(index, key, within=doc_ids)
        if not ids:
            return docs
        sc.description += f"; answered from {index.display.get(key, key)} only (the best passage's issuer)"
        return self._search(question, config, doc_ids=ids, k=k, query_vector=qvec, question=full)

    def ask(self, question: str, *, k: int | None = None, doc_ids: list[str] | None = None,
            history=None, filters: dict | None = None, scope: bool = True, answerer: str | None = None,
            callbacks=None) -> Answer:
        """Answer ``question``; with ``history`` (earlier turns), a follow-up is made standalone first.

        ``filters`` ({"company", "kind", "period", "doc"}) and ``doc_ids`` limit the search
        to matching documents. Otherwise, with ``scope`` (the default), a question that
        names a company, period or document kind the index knows is answered from those
        documents, and from one company's documents unless it asks for a comparison;
        ``scope=False`` searches the whole index. ``answer.scope`` says what was searched.
        ``answerer`` ("extractive" or "llm") overrides the default for this call; ``callbacks``
        (LangChain callback handlers) see the rewrite, the retriever and the answerer.
        """
        answer = None
        for item in self._run(question, k, doc_ids, history, filters, scope, answerer, callbacks, stream=False):
            answer = item
        return answer

    def ask_stream(self, question: str, *, k: int | None = None, doc_ids: list[str] | None = None,
                   history=None, filters: dict | None = None, scope: bool = True, answerer: str | None = None,
                   callbacks=None) -> Iterator[str | Answer]:
        """Text tokens as the answerer produces them, then the final Answer (which is authoritative:
        it may differ from the tokens, e.g. unverified sentences marked or an extractive fallback)."""
        yield from self._run(question, k, doc_ids, history, filters, scope, answerer, callbacks, stream=True)

    def _run(self, question, k, doc_ids, history, filters, scope, answerer, callbacks, *, stream: bool):
        state = {"question": question, "history": history, "k": k, "doc_ids": doc_ids, "filters": filters,
                 "scope": scope, "answerer": answerer, "stream": stream}
        yield from self.pipeline.stream(state, config={"callbacks": callbacks} if callbacks else None)

    def passages_for(self, question: str, *, k: int | None = None, doc_ids: list[str] | None = None,
                     filters: dict | None = None, scope: bool = True, config=None):
        """(scope, question vector, passages) exactly as ``ask`` hands them to the answerer."""
        sc = self.resolve_scope(question, doc_ids=doc_ids, filters=filters, scope=scope)
        qvec = np.asarray(self.embedder.embed_query(search_text(question)), dtype=np.float32)
        if sc is not None and sc.absent:
            return sc, qvec, []   # a company no indexed document is about: nothing to answer from
        return sc, qvec, self._scoped_search(question, k, qvec, sc, one_issuer=scope, config=config)

    def close(self) -> None:
        if "page_images" in self.__dict__:
            self.page_images.close()
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["Assistant", "cannot_answer", "language_of"]
