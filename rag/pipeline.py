"""The question-answering pipeline as one LangChain runnable: rewrite → scope and retrieve → answer.

``Assistant.ask``, ``Assistant.ask_stream``, the UI and ``rag eval`` all run this one
composition (LCEL), so a question gets the same answer whichever way it comes in, and
LangChain callbacks and tracing see every step: the follow-up rewrite, the retriever
(a ``BaseRetriever``: ``on_retriever_start/end``) and the answerer (a ``Runnable``).

Input: ``{"question", "history", "k", "doc_ids", "filters", "scope", "answerer", "stream"}``, where
``answerer`` ("extractive", "llm" or None for the configured default) and the filters
are per-call configuration. Output, when streamed: text tokens as the answerer produces
them, then the final :class:`~rag.types.Answer` (authoritative).
"""
from __future__ import annotations

import time
from typing import Any, Iterator

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from .prompts import EMPTY_INDEX, EMPTY_QUESTION, company_not_indexed
from .types import Answer


def build(assistant) -> Runnable:
    """The pipeline over ``assistant``'s index, retriever and answerers."""

    def rewrite(state: dict, config) -> dict:
        """A follow-up becomes a standalone question (LLM when one is configured, else heuristics)."""
        state = dict(state, t0=time.perf_counter(), question=(state.get("question") or "").strip())
        state["standalone"], state["notices"] = state["question"], []
        if state["question"] and state.get("history"):
            from .conversation import rewrite_question

            rw = rewrite_question(state["question"], state["history"], llm=assistant.chat_model(state.get("answerer")),
                                  config=config, names=assistant.company_name_spans)
            state["standalone"] = rw.question
            state["notices"] = [rw.notice] if rw.notice else []
        return state

    def retrieve(state: dict, config) -> dict:
        """Scope (filters, or what the question names) and the passages for the answerer."""
        if not state["question"] or assistant.store.catalog.count_chunks() == 0:
            return dict(state, documents=None)
        sc, qvec, docs = assistant.passages_for(state["standalone"], k=state.get("k"), doc_ids=state.get("doc_ids"),
                                                filters=state.get("filters"), scope=state.get("scope", True),
                                                config=config)
        return dict(state, scope_=sc, qvec=qvec, documents=docs)

    def answer(states: Iterator[dict], config) -> Iterator[Any]:
        for state in states:   # one state per question
            yield from _answer(assistant, state, config)

    return (RunnableLambda(rewrite, name="rewrite") | RunnableLambda(retrieve, name="scope_and_retrieve")
            | RunnableGenerator(answer, name="answer")).with_config(run_name="rag")


def _answer(assistant, state: dict, config) -> Iterator[Any]:
    question = state["question"]
    if not question:
        yield Answer(question, EMPTY_QUESTION, True, notices=[EMPTY_QUESTION])
        return
    if state["documents"] is None:
        yield Answer(question, EMPTY_INDEX, True, notices=[EMPTY_INDEX])
        return
    standalone, sc = state["standalone"], state["scope_"]
    if sc is not None and sc.absent:
        # the question names a company no indexed document is about: not answered from another's
        from .text import language_of

        notice = company_not_indexed(sc.absent, language_of(standalone))
        final = Answer(question, notice, True, scope=sc.description,
                       notices=[*state["notices"], notice, f"scope: {sc.description}"])
        if standalone != question:
            final.rewritten_question = standalone
        final.seconds = time.perf_counter() - state["t0"]
        if state.get("stream", True):
            yield final.text
        yield final
        return
    answerer = assistant.answerer_for(state.get("answerer"))
    payload = {"question": standalone, "documents": state["documents"], "qvec": state["qvec"]}
    final = None
    if not state.get("stream", True):   # one answer, no tokens (an LLM is called without streaming)
        final = answerer.invoke(payload, config=config)
    else:
        for item in answerer.stream(payload, config=config):
            if isinstance(item, Answer):
                final = item
            elif item:
                yield item
        if not hasattr(answerer, "stream_answer") and final.text:   # one that does not stream shows its text first
            yield final.text
    if standalone != question:
        final.question, final.rewritten_question = question, standalone
    final.notices.extend(state["notices"])
    final.scope = sc.description if sc is not None else "whole index (scoping off)"
    if sc is not None and (sc.fell_back or (sc.explicit and not sc.doc_ids)):
        final.notices.append(f"scope: {sc.description}")
    final.seconds = time.perf_counter() - state["t0"]
    yield final
