"""What the chat needs around ``Assistant.ask_stream``: the answerer chosen in the
settings (extractive, or the LLM when one is configured), the conversation
history for follow-ups, and progress reporting while ingesting.

Answers are kept in the session as plain dicts: question, text, abstained,
citations (``Citation.to_dict()``), notices, scope, seconds, answerer,
rewritten_question, fallback_reason, verified, plus the UI's empty_index flag.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterator

from rag.embeddings import Embedder
from rag.prompts import EMPTY_INDEX
from rag.types import Answer

HISTORY_TURNS = 4


def llm_configured(settings) -> bool:
    return bool(settings.llm.base_url and settings.llm.model)


def answer_dict(ans: Answer, **extra) -> dict:
    d = {"question": ans.question, "text": ans.text, "abstained": bool(ans.abstained),
         "citations": [c.to_dict() for c in ans.citations], "notices": list(ans.notices),
         "scope": ans.scope, "seconds": round(float(ans.seconds or 0.0), 3),
         "answerer": getattr(ans, "answerer", "extractive"),
         "rewritten_question": getattr(ans, "rewritten_question", ""),
         "fallback_reason": getattr(ans, "fallback_reason", ""),
         "verified": bool(getattr(ans, "verified", True)),
         "empty_index": ans.text == EMPTY_INDEX}
    d.update(extra)
    return d


def history_of(turns: list[dict]) -> list[tuple[str, str]]:
    """(question, answer text) of the last answered turns, for follow-up questions."""
    out = []
    for t in turns[-HISTORY_TURNS:]:
        a = t.get("answer") or {}
        if a and not a.get("empty_index") and not a.get("error"):
            out.append((t["question"], a.get("text", "")))
    return out


class ChatEngine:
    """Answers chat questions with the assistant, with either answerer, chosen per question
    (the assistant's pipeline takes the answerer as per-call configuration)."""

    def __init__(self, assistant, chat_model=None):
        """``chat_model``: a LangChain chat model for the LLM answerer (tests pass a fake one);
        default: the assistant's own, built from its LLM settings."""
        self.assistant = assistant
        self._chat_model = chat_model
        self._llm = assistant.llm_answerer(chat_model) if chat_model is not None else None

    @property
    def llm_available(self) -> bool:
        return self._llm is not None or self.assistant.llm_configured

    @property
    def llm_name(self) -> str:
        if self.assistant.settings.llm.model:
            return self.assistant.settings.llm.model
        if self._chat_model is not None:
            return getattr(self._chat_model, "model_name", None) or type(self._chat_model).__name__
        return "LLM"

    @property
    def default_mode(self) -> str:
        return "llm" if self.llm_available else "extractive"

    def mode(self, asked: str) -> str:
        """The answerer a question gets: the LLM when asked for and available, else extractive."""
        return "llm" if asked == "llm" and self.llm_available else "extractive"

    def answerer(self, mode: str):
        """What the assistant's pipeline is told to answer with for ``mode`` (a per-call setting)."""
        return self._llm if (mode == "llm" and self._llm is not None) else mode

    def run(self, question: str, turns: list[dict] | None = None, *, k: int | None = None,
            doc_ids: list[str] | None = None, mode: str = "extractive") -> Iterator[dict]:
        """Yields {"partial": text so far} while an LLM streams, then {"answer": dict}."""
        t0 = time.perf_counter()
        mode = self.mode(mode)
        llm = mode == "llm"
        text, final = "", None
        for item in self.assistant.ask_stream(question, k=k, doc_ids=list(doc_ids) if doc_ids else None,
                                              history=history_of(turns or []) or None,
                                              answerer=self.answerer(mode)):
            if isinstance(item, Answer):
                final = item
            elif llm and item:
                text += item
                yield {"partial": text}
        final.seconds = final.seconds or (time.perf_counter() - t0)
        yield {"answer": answer_dict(final)}

    def answer(self, question: str, turns: list[dict] | None = None, **kw) -> dict:
        final = None
        for ev in self.run(question, turns, **kw):
            final = ev.get("answer", final)
        return final


# -- progress while ingesting ------------------------------------------------------------
_progress = threading.local()


class ProgressEmbedder(Embedder):
    """Wraps the assistant's embedder so that a long ingest reports how many passages
    are embedded (the slow part); questions go straight through."""

    def __init__(self, inner: Embedder, batch: int = 32):
        self.inner = inner
        self.batch = batch

    @property
    def id(self) -> str:
        return self.inner.id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        cb: Callable[[int, int], None] | None = getattr(_progress, "callback", None)
        texts = list(texts)
        if cb is None:
            return self.inner.embed_documents(texts)
        out: list[list[float]] = []
        cb(0, len(texts))
        for i in range(0, len(texts), self.batch):
            out.extend(self.inner.embed_documents(texts[i : i + self.batch]))
            cb(len(out), len(texts))
        return out

    def __getattr__(self, name):  # anything else the wrapped embedder offers
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


class embedding_progress:
    """Context manager: route this thread's embedding progress to ``callback(done, total)``."""

    def __init__(self, callback: Callable[[int, int], None]):
        self.callback = callback

    def __enter__(self):
        self._old = getattr(_progress, "callback", None)
        _progress.callback = self.callback
        return self

    def __exit__(self, *exc):
        _progress.callback = self._old


def install_progress_embedder(assistant) -> None:
    """Idempotent: the assistant's ingest then reports embedding progress."""
    if not isinstance(assistant.embedder, ProgressEmbedder):
        assistant.embedder = ProgressEmbedder(assistant.embedder)
