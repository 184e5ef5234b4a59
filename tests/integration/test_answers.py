"""Cited answers over the bundled article, in English and Chinese, from one shared real index."""
from __future__ import annotations

import pytest

from itest_support import ARTICLE_ID, ARTICLE_TITLE, ARTICLE_FILE_NAME, check_citation_verbatim
from rag.prompts import CANNOT_ANSWER, CANNOT_ANSWER_ZH

PROJECTION_QUESTIONS = [
    "How large could global AI investment become over the next five years?",
    "What total global AI-related investment did Alibaba's CEO say could materialise?",
    "未来五年全球AI相关投资有望达到多少？",
    "阿里巴巴首席执行官引用的全球AI投资估算是多少？",
]
DATACENTER_QUESTIONS = [
    "阿里巴巴在哪些国家开设数据中心？",
    "阿里宣布将在哪些国家新开数据中心？",
    "In which countries is Alibaba opening new data centers?",
    "Which three countries will get new Alibaba data centres?",
]
UNANSWERABLE = [
    ("Who chairs Alibaba's audit committee?", CANNOT_ANSWER),
    ("阿里巴巴首席执行官叫什么名字？", CANNOT_ANSWER_ZH),
    ("谁担任阿里巴巴审计委员会主席？", CANNOT_ANSWER_ZH),
    ("Did Alibaba open a data center in Japan?", CANNOT_ANSWER),
    ("阿里巴巴在日本开设了数据中心吗？", CANNOT_ANSWER_ZH),
]

_cache: dict[str, object] = {}


def ask(assistant, question):
    if question not in _cache:
        _cache[question] = assistant.ask(question)
    return _cache[question]


def _describe(ans) -> str:
    return f"abstained={ans.abstained} text={ans.text!r} notices={ans.notices} " \
           f"citations={[(c.doc_id, c.page, c.quote) for c in ans.citations]}"


def _citations_with(ans, *needles):
    return [c for c in ans.citations if all(n in c.quote for n in needles)]


@pytest.mark.parametrize("question", PROJECTION_QUESTIONS)
def test_four_trillion_projection_answered_with_citation(corpus_index, question):
    ans = ask(corpus_index, question)
    assert not ans.abstained, _describe(ans)
    assert "4万亿" in ans.text, _describe(ans)
    hits = _citations_with(ans, "4万亿", "未来五年")
    assert hits, _describe(ans)
    assert all(c.doc_id == ARTICLE_ID for c in hits)


@pytest.mark.parametrize("question", DATACENTER_QUESTIONS)
def test_new_datacenter_countries_answered_with_citation(corpus_index, question):
    ans = ask(corpus_index, question)
    assert not ans.abstained, _describe(ans)
    for country in ("巴西", "法国", "荷兰"):
        assert country in ans.text, _describe(ans)
    hits = _citations_with(ans, "巴西", "法国", "荷兰", "数据中心")
    assert hits, _describe(ans)
    assert all(c.doc_id == ARTICLE_ID for c in hits)


@pytest.mark.parametrize("question", PROJECTION_QUESTIONS + DATACENTER_QUESTIONS)
def test_citation_fields_and_verbatim_quotes(corpus_index, question):
    ans = ask(corpus_index, question)
    assert ans.citations, _describe(ans)
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))
    for c in ans.citations:
        assert c.doc_id == ARTICLE_ID
        assert c.title == ARTICLE_TITLE  # from corpus/manifest.toml
        assert c.source.endswith(ARTICLE_FILE_NAME)
        assert c.page is None  # a plain-text article has no printed pages
        check_citation_verbatim(corpus_index, c)
        assert f"[{c.n}]" in ans.text
        assert c.quote in ans.text


@pytest.mark.parametrize("question, refusal", UNANSWERABLE)
def test_unanswerable_question_abstains(corpus_index, question, refusal):
    ans = ask(corpus_index, question)
    assert ans.abstained, _describe(ans)
    assert ans.citations == []
    assert ans.text == refusal  # refusal in the question's language


def test_page_text_of_the_article_is_the_cleaned_file(corpus_index):
    text = corpus_index.page_text(ARTICLE_ID, None)
    assert text.startswith("阿里巴巴近期股价大幅上涨")
    assert "还宣布在巴西、法国和荷兰开设数据中心" in text
    assert corpus_index.page_text(ARTICLE_ID, 2) is None
    assert corpus_index.page_text("no-such-doc", None) is None


def test_sources_lists_the_article_with_manifest_metadata(corpus_index):
    docs = corpus_index.sources()
    assert [d["doc_id"] for d in docs] == [ARTICLE_ID]
    d = docs[0]
    assert d["meta"]["title"] == ARTICLE_TITLE
    assert d["meta"]["kind"] == "news article"
    assert d["meta"]["language"] == "zh"
    assert d["pages"] == 1
    assert d["chunks"] == corpus_index.store.catalog.count_chunks() == corpus_index.store.vectors.count() > 10


def test_empty_and_blank_questions_get_a_clear_message(corpus_index):
    for q in ("", "   ", "\n\t"):
        ans = corpus_index.ask(q)
        assert ans.abstained and ans.citations == []
        assert "empty" in ans.text.lower()
