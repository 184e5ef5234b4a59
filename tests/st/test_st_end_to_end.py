"""End to end with sentence-transformers: ingest, ask, rerank, reopen, refuse a different embedder.

Uses the tiny random-weight models from tests/tiny_models.py, so answers come
from the keyword side of hybrid retrieval and the question is worded to match
its passage; what is tested is that the whole path runs on an on-disk index
with a sentence-transformers embedder and a cross-encoder reranker.
"""
from __future__ import annotations

import pytest

import tiny_models

pytestmark = pytest.mark.st
tiny_models.require_sentence_transformers()

from rag import Assistant  # noqa: E402
from rag.reranking import CrossEncoderReranker  # noqa: E402

CORPUS = tiny_models.REPO / "corpus"
ARTICLE_ID = "article-alibaba-ai-rally"
NOTE_ID = "acme-q3-update"
NOTE = """Acme Widgets Q3 update.

Acme Widgets opened a new data center in Jakarta in the third quarter. Quarterly revenue of
Acme Widgets rose to 42 million dollars, and the company hired 120 engineers.

The board of Acme Widgets approved a share repurchase program of up to five million dollars over
the next two fiscal years. Repurchases will be funded from operating cash flow and will be made in
open market transactions, subject to market conditions and applicable securities regulations.
Management said the program reflects confidence in the long-term outlook of the widget business.

Gross margin narrowed by two percentage points because of higher steel and shipping costs, partly
offset by price increases on industrial widgets. The company expects input costs to stabilise in
the fourth quarter and reiterated its full-year guidance for operating income and free cash flow.

Acme Widgets also signed a supply agreement with a European carmaker for precision widgets used in
electric vehicle battery packs. Deliveries begin next spring, and the contract runs for four years
with an option to extend. The company will add a second production shift at its Ohio plant.
"""
QUESTION = "Where did Acme Widgets open a new data center?"


@pytest.fixture(scope="module")
def built_index(tiny_st_model, tmp_path_factory):
    """An index of the bundled corpus plus a small text file, built with the tiny model."""
    root = tmp_path_factory.mktemp("st-e2e")
    note = root / "notes" / f"{NOTE_ID}.txt"
    note.parent.mkdir()
    note.write_text(NOTE, encoding="utf-8")
    index = root / "index"
    spec = f"sentence-transformers:{tiny_st_model}"
    with Assistant(index_dir=index, embedder=spec) as assistant:
        report = assistant.ingest([CORPUS, note])
        embedder_id = assistant.embedder.id
    assert report.ok, [r.line() for r in report.failed]
    return index, spec, embedder_id


@pytest.fixture(autouse=True)
def _no_embedder_from_env(monkeypatch):
    for name in ("RAG_EMBEDDER", "RAG_RERANKER", "RAG_INDEX", "RAG_CHROMA_URL"):
        monkeypatch.delenv(name, raising=False)


def test_ingest_records_both_documents(built_index):
    index, spec, embedder_id = built_index
    assert embedder_id.startswith("st:tiny-st:")
    with Assistant(index_dir=index, embedder=spec) as assistant:
        sources = {d["doc_id"]: d for d in assistant.sources()}
        assert {ARTICLE_ID, NOTE_ID} <= set(sources)
        assert all(d["chunks"] > 0 for d in sources.values())
        # The bundled Chinese article is searchable in this index.
        hits = assistant.retrieve("英伟达 软件层面的合作", k=3)
        assert hits and ARTICLE_ID in {h.metadata["doc_id"] for h in hits}


def test_ask_answers_with_citations(built_index):
    index, spec, _ = built_index
    with Assistant(index_dir=index, embedder=spec) as assistant:
        answer = assistant.ask(QUESTION)
    assert not answer.abstained, answer.text
    assert "Jakarta" in answer.text
    assert answer.citations
    cited = answer.citations[0]
    assert cited.doc_id == NOTE_ID
    assert "Jakarta" in cited.quote
    assert " ".join(cited.quote.split()) in " ".join(NOTE.split())  # verbatim from the file


def _counting(monkeypatch, reranker):
    """Record every call to the reranker's score (and still score for real)."""
    calls = []
    real_score = reranker.score

    def counting_score(query, passages):
        scores = real_score(query, passages)
        calls.append((query, list(passages), scores))
        return scores

    monkeypatch.setattr(reranker, "score", counting_score)
    return calls


def test_ask_with_cross_encoder_reranker(built_index, tiny_cross_encoder, monkeypatch):
    # The tiny cross-encoder's scores are arbitrary, so the question is scoped to the note:
    # whatever order the reranker gives its chunks, the evidence is among them.
    index, spec, _ = built_index
    with Assistant(index_dir=index, embedder=spec,
                   reranker=f"sentence-transformers:{tiny_cross_encoder}") as assistant:
        assert isinstance(assistant.reranker, CrossEncoderReranker)
        assert assistant.reranker.id.startswith("ce:tiny-cross-encoder:")
        calls = _counting(monkeypatch, assistant.reranker)
        answer = assistant.ask(QUESTION, doc_ids=[NOTE_ID])
    assert calls, "the reranker was not consulted"
    query, passages, scores = calls[0]
    assert query == QUESTION and len(passages) == len(scores) >= 2
    assert not answer.abstained, answer.text
    assert "Jakarta" in answer.text
    assert answer.citations and answer.citations[0].doc_id == NOTE_ID


def test_reranker_order_decides_what_retrieval_returns(built_index, tiny_cross_encoder, monkeypatch):
    index, spec, _ = built_index
    with Assistant(index_dir=index, embedder=spec,
                   reranker=f"sentence-transformers:{tiny_cross_encoder}") as assistant:
        calls = _counting(monkeypatch, assistant.reranker)
        hits = assistant.retrieve("阿里巴巴 英伟达 data center", k=4)
    assert len(calls) == 1
    _, passages, scores = calls[0]
    assert len(passages) > 4  # a candidate pool larger than k was reranked
    best_first = [p for _, p in sorted(zip(scores, passages), key=lambda t: -t[0])]
    assert [h.page_content for h in hits] == best_first[:4]


@pytest.mark.parametrize("other", [None, "use"])
def test_opening_with_another_embedder_is_a_clear_error(built_index, other):
    index, _, embedder_id = built_index
    kwargs = {} if other is None else {"embedder": other}
    with pytest.raises(RuntimeError) as info:
        Assistant(index_dir=index, **kwargs)
    message = str(info.value)
    assert embedder_id in message
    assert "use-multilingual-v3" in message
    assert "rebuild" in message.lower() or "ingest again" in message.lower()
