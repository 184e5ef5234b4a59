"""The chat engine: follow-ups through the assistant's history, the answerer setting
(extractive, or the project's LLM answerer with a fake chat model), fallbacks."""
from __future__ import annotations


from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from rag.answering import ExtractiveAnswerer
from ui.engine import ChatEngine, history_of, llm_configured

QUESTION = "Which countries will Alibaba open new data centres in?"


def fake(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


class Boom(GenericFakeChatModel):
    def _stream(self, *a, **kw):
        raise ConnectionError("endpoint unreachable")

    def _generate(self, *a, **kw):
        raise ConnectionError("endpoint unreachable")


def test_followup_question_in_the_same_conversation(corpus_assistant):
    engine = ChatEngine(corpus_assistant)
    first = engine.answer(QUESTION)
    assert not first["abstained"] and "巴西" in first["text"] and not first["rewritten_question"]
    turns = [{"question": first["question"], "answer": first}]
    second = engine.answer("What does that help reduce?", turns)
    assert second["question"] == "What does that help reduce?"
    assert second["rewritten_question"] and second["rewritten_question"] != second["question"]
    assert not second["abstained"] and "延迟" in second["text"] and second["citations"]


def test_history_skips_unanswerable_turns():
    turns = [{"question": "q1", "answer": {"text": "a1"}},
             {"question": "q2", "answer": {"text": "The index is empty", "empty_index": True}},
             {"question": "q3", "answer": {"text": "", "error": True}},
             {"question": "q4", "answer": None}]
    assert history_of(turns) == [("q1", "a1")]


def test_abstains_and_empty_cases(corpus_assistant, fresh_assistant):
    engine = ChatEngine(corpus_assistant)
    ans = engine.answer("What is the name of Alibaba's chief executive officer?")
    assert ans["abstained"] and not ans["citations"] and not ans["empty_index"]
    assert engine.answer("   ")["abstained"]
    empty = ChatEngine(fresh_assistant).answer("Anything?")
    assert empty["abstained"] and empty["empty_index"]


def test_without_an_llm_only_the_extractive_answerer_is_offered(corpus_assistant):
    engine = ChatEngine(corpus_assistant)
    assert not llm_configured(corpus_assistant.settings)
    assert not engine.llm_available and engine.default_mode == "extractive"
    assert engine.mode("llm") == "extractive" and engine.mode("extractive") == "extractive"
    ans = engine.answer(QUESTION, mode="llm")  # asking for it anyway: extractive
    assert ans["answerer"] == "extractive" and ans["citations"]


def test_llm_answer_streams_and_cites(corpus_assistant):
    a = corpus_assistant
    top = a.retrieve(QUESTION, k=4)[0].page_content
    engine = ChatEngine(a, chat_model=fake(f"According to the article: {top} [1]"))
    assert engine.llm_available and engine.default_mode == "llm" and engine.mode("llm") == "llm"
    assert not isinstance(engine.answerer("llm"), (str, ExtractiveAnswerer))
    assert isinstance(a.answerer, ExtractiveAnswerer), "the shared assistant is not changed"
    events = list(engine.run(QUESTION, mode="llm", k=4))
    partials = [e["partial"] for e in events if "partial" in e]
    assert len(partials) > 1 and partials[-1].startswith("According to the article:")
    ans = events[-1]["answer"]
    assert ans["answerer"] == "llm" and not ans["abstained"] and ans["citations"]
    for c in ans["citations"]:
        assert c["quote"] and c["quote"] in a.page_text(c["doc_id"], c["page"])
    # the extractive answerer stays available next to it
    assert engine.answer(QUESTION, mode="extractive")["answerer"] == "extractive"


def test_llm_failure_falls_back_to_extractive(corpus_assistant):
    engine = ChatEngine(corpus_assistant, chat_model=Boom(messages=iter([])))
    ans = engine.answer(QUESTION, mode="llm")
    assert ans["answerer"] == "extractive-fallback" and "endpoint unreachable" in ans["fallback_reason"]
    assert not ans["abstained"] and ans["citations"]


def test_llm_view_from_settings(corpus_assistant):
    s = corpus_assistant.settings.with_overrides(llm_base_url="http://127.0.0.1:9/v1", llm_model="tiny-model")
    assert llm_configured(s)
    engine = ChatEngine(corpus_assistant)
    corpus_assistant_settings = corpus_assistant.settings
    try:
        corpus_assistant.settings = s
        assert engine.llm_available and engine.llm_name == "tiny-model" and engine.answerer("llm") == "llm"
        answerer = corpus_assistant.answerer_for("llm")  # builds the client; nothing is contacted
        assert not isinstance(answerer, ExtractiveAnswerer) and isinstance(corpus_assistant.answerer, ExtractiveAnswerer)
    finally:
        corpus_assistant.settings = corpus_assistant_settings
        corpus_assistant._llm_answerer = None
