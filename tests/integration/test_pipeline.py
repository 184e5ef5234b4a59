"""One pipeline (rag/pipeline.py) serves ask and ask_stream; LangChain callbacks see its steps."""
from __future__ import annotations

from langchain_core.callbacks import BaseCallbackHandler

QUESTION = "阿里巴巴在哪些国家开设数据中心？"


class Recorder(BaseCallbackHandler):
    def __init__(self):
        self.events: list[tuple[str, str]] = []

    def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, **kw):
        self.events.append(("chain", kw.get("name") or (serialized or {}).get("name", "")))

    def on_retriever_start(self, serialized, query, *, run_id, parent_run_id=None, **kw):
        self.events.append(("retriever", query))

    def on_retriever_end(self, documents, *, run_id, parent_run_id=None, **kw):
        self.events.append(("retrieved", str(len(documents))))


def test_callbacks_see_the_rewrite_the_retriever_and_the_answerer(corpus_index):
    rec = Recorder()
    ans = corpus_index.ask(QUESTION, callbacks=[rec])
    names = [n for kind, n in rec.events if kind == "chain"]
    assert "rag" in names and "rewrite" in names and "scope_and_retrieve" in names and "answer" in names
    assert "ExtractiveAnswerer" in names, names
    assert ("retriever", QUESTION) in rec.events
    assert ("retrieved", str(len(ans.passages))) in rec.events
    assert not ans.abstained and "巴西" in ans.text


def test_ask_and_ask_stream_give_the_same_answer(corpus_index):
    asked = corpus_index.ask(QUESTION)
    items = list(corpus_index.ask_stream(QUESTION))
    streamed = items[-1]
    assert streamed.text == asked.text and [c.quote for c in streamed.citations] == [c.quote for c in asked.citations]
    assert items[:-1] == [asked.text]   # the extractive answerer does not stream: its text, then the Answer
    assert corpus_index.ask(QUESTION, answerer="extractive").text == asked.text


def test_an_unknown_answerer_is_refused(corpus_index):
    import pytest

    with pytest.raises(ValueError, match="unknown answerer"):
        corpus_index.ask(QUESTION, answerer="oracle")
