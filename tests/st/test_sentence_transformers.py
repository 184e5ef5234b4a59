"""Sentence-transformers embedder and cross-encoder reranker, on tiny models built here.

The tiny models have random weights: these tests check plumbing (shapes,
normalisation, prefixes, ids, errors, specs), never retrieval quality.
"""
from __future__ import annotations

import json
import math
import shutil
import socket
import time

import numpy as np
import pytest

import tiny_models

pytestmark = pytest.mark.st
tiny_models.require_sentence_transformers()

from rag.embeddings import EmbedderError, make_embedder  # noqa: E402
from rag.embeddings.sentence_transformers import (  # noqa: E402
    PROGRESS_THRESHOLD,
    SentenceTransformerEmbedder,
    model_fingerprint,
    prompt_convention,
)
from rag.reranking import CrossEncoderReranker, Reranker, RerankerError, make_reranker  # noqa: E402
from rag.settings import SettingsError  # noqa: E402

TEXTS = [
    "阿里巴巴近期股价大幅上涨，美国存托凭证一度上涨约8%。",
    "Alibaba announced higher AI spending and a partnership with Nvidia.",
    "云计算收入 cloud revenue grew 26% year over year.",
]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    attempts: list = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: refuse(None, a[:2]))
    return attempts


@pytest.fixture
def empty_hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache, so no hub model is cached whatever this machine has."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("SENTENCE_TRANSFORMERS_HOME", raising=False)
    return cache


def spy_encode(embedder, monkeypatch):
    """Replace the loaded model's encode with a recorder returning unit vectors."""
    model = embedder._load()
    calls: list[dict] = []
    dim = embedder.dimension

    def fake_encode(texts, **kwargs):
        calls.append({"texts": list(texts), **kwargs})
        out = np.zeros((len(texts), dim), dtype=np.float32)
        out[:, 0] = 1.0
        return out

    monkeypatch.setattr(model, "encode", fake_encode)
    return calls


# -- embedder: vectors ------------------------------------------------------

def test_make_embedder_builds_st_embedder(tiny_st_model):
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}", device="cpu", batch_size=4)
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.device == "cpu" and emb.batch_size == 4
    assert make_embedder(f"st:{tiny_st_model}").id == emb.id


def test_vectors_have_model_dimension_and_unit_norm(tiny_st_model):
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}")
    assert emb.dimension == tiny_models.HIDDEN
    docs = emb.embed_documents(TEXTS)
    assert len(docs) == len(TEXTS)
    for vec in docs:
        assert len(vec) == emb.dimension
        assert all(isinstance(x, float) for x in vec)
        assert math.isclose(math.sqrt(sum(x * x for x in vec)), 1.0, rel_tol=1e-4)
    query = emb.embed_query("阿里巴巴的AI投入有多大？")
    assert len(query) == emb.dimension
    assert math.isclose(float(np.linalg.norm(query)), 1.0, rel_tol=1e-4)
    assert emb.embed_documents([]) == []
    # Different texts give different vectors, even with random weights.
    assert not np.allclose(docs[0], docs[1])


def test_vectors_are_deterministic_across_instances(tiny_st_model):
    a = make_embedder(f"sentence-transformers:{tiny_st_model}").embed_documents(TEXTS)
    b = make_embedder(f"sentence-transformers:{tiny_st_model}", batch_size=1).embed_documents(TEXTS)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_loading_is_lazy(tiny_st_model):
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}")
    assert emb.id.startswith("st:")
    assert emb._model is None  # id needs no model load
    emb.embed_query("hello")
    assert emb._model is not None


def test_always_asks_for_normalized_embeddings_and_batches(tiny_st_model, monkeypatch):
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}", batch_size=5)
    calls = spy_encode(emb, monkeypatch)
    emb.embed_documents(TEXTS)
    emb.embed_query("q")
    assert [c["normalize_embeddings"] for c in calls] == [True, True]
    assert [c["batch_size"] for c in calls] == [5, 5]


def test_progress_bar_only_for_large_batches(tiny_st_model, monkeypatch):
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}")
    calls = spy_encode(emb, monkeypatch)
    emb.embed_documents(TEXTS)
    emb.embed_documents([f"text {i}" for i in range(PROGRESS_THRESHOLD + 1)])
    assert [c["show_progress_bar"] for c in calls] == [False, True]
    quiet = SentenceTransformerEmbedder(str(tiny_st_model), show_progress=False)
    calls = spy_encode(quiet, monkeypatch)
    quiet.embed_documents([f"text {i}" for i in range(PROGRESS_THRESHOLD + 1)])
    assert calls[0]["show_progress_bar"] is False


# -- embedder: model conventions --------------------------------------------

def test_e5_models_get_query_and_passage_prefixes(tiny_st_model, tmp_path, monkeypatch):
    e5_dir = tmp_path / "tiny-multilingual-e5"
    shutil.copytree(tiny_st_model, e5_dir)
    emb = make_embedder(f"sentence-transformers:{e5_dir}")
    calls = spy_encode(emb, monkeypatch)
    emb.embed_documents(["阿里巴巴", "Alibaba"])
    emb.embed_query("阿里巴巴的股价？")
    assert calls[0]["texts"] == ["passage: 阿里巴巴", "passage: Alibaba"]
    assert calls[1]["texts"] == ["query: 阿里巴巴的股价？"]


def test_other_models_get_no_prefix(tiny_st_model, monkeypatch):
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}")
    calls = spy_encode(emb, monkeypatch)
    emb.embed_documents(["阿里巴巴"])
    emb.embed_query("股价？")
    assert calls[0]["texts"] == ["阿里巴巴"]
    assert calls[1]["texts"] == ["股价？"]


def test_e5_prefix_changes_real_vectors(tiny_st_model, tmp_path):
    # Same weights, E5 name: the prefix reaches the model, so query != passage vector.
    e5_dir = tmp_path / "e5-copy"
    shutil.copytree(tiny_st_model, e5_dir)
    emb = make_embedder(f"sentence-transformers:{e5_dir}")
    plain = make_embedder(f"sentence-transformers:{tiny_st_model}")
    text = "Alibaba cloud revenue"
    assert not np.allclose(emb.embed_query(text), emb.embed_documents([text])[0])
    np.testing.assert_allclose(plain.embed_query(text), plain.embed_documents([text])[0], atol=1e-6)


def test_prompts_shipped_with_the_model_are_used_once(tiny_st_model, tmp_path, monkeypatch):
    prompted = tmp_path / "tiny-prompted"
    shutil.copytree(tiny_st_model, prompted)
    config_path = prompted / "config_sentence_transformers.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["prompts"] = {"query": "Q: ", "document": "D: "}
    config["default_prompt_name"] = "query"  # must not be added on top of ours
    config_path.write_text(json.dumps(config), encoding="utf-8")
    emb = make_embedder(f"sentence-transformers:{prompted}")
    plain = make_embedder(f"sentence-transformers:{tiny_st_model}")
    np.testing.assert_allclose(emb.embed_documents(["阿里巴巴"])[0],
                               plain.embed_documents(["D: 阿里巴巴"])[0], atol=1e-5)
    np.testing.assert_allclose(emb.embed_query("阿里巴巴"), plain.embed_query("Q: 阿里巴巴"), atol=1e-5)
    calls = spy_encode(emb, monkeypatch)
    emb.embed_query("x")
    assert calls[0]["texts"] == ["Q: x"]


@pytest.mark.parametrize("name, expected", [
    ("intfloat/multilingual-e5-small", ("query: ", "passage: ")),
    ("intfloat/e5-base-v2", ("query: ", "passage: ")),
    ("intfloat/multilingual-e5-large-instruct", (None, "")),
    ("BAAI/bge-m3", ("", "")),
    ("BAAI/bge-small-zh-v1.5", ("为这个句子生成表示以用于检索相关文章：", "")),
    ("BAAI/bge-base-en-v1.5", ("Represent this sentence for searching relevant passages: ", "")),
    ("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", ("", "")),
    ("/models/My-E5-Finetune", ("query: ", "passage: ")),
])
def test_prompt_convention_table(name, expected):
    query, passage = prompt_convention(name)
    if expected[0] is None:
        assert query.startswith("Instruct: ") and query.endswith("Query: ")
    else:
        assert query == expected[0]
    assert passage == expected[1]


# -- embedder: ids ----------------------------------------------------------

def test_id_is_stable_across_loads_and_copies(tiny_st_model, tmp_path):
    first = make_embedder(f"sentence-transformers:{tiny_st_model}").id
    second = make_embedder(f"sentence-transformers:{tiny_st_model}/").id
    assert first == second
    assert first.startswith("st:tiny-st:")
    copy = tmp_path / "elsewhere" / "tiny-st"
    shutil.copytree(tiny_st_model, copy)
    assert make_embedder(f"sentence-transformers:{copy}").id == first


def test_same_seed_rebuild_gives_same_id(tiny_st_model, tmp_path):
    rebuilt = tiny_models.build_tiny_st_model(tmp_path / "tiny-st")
    assert model_fingerprint(rebuilt) == model_fingerprint(tiny_st_model)


def test_different_models_get_different_ids(tiny_st_model, tmp_path):
    # Same directory name, same architecture and file sizes, different weights.
    other = tiny_models.build_tiny_st_model(tmp_path / "tiny-st", seed=1)
    a = make_embedder(f"sentence-transformers:{tiny_st_model}")
    b = make_embedder(f"sentence-transformers:{other}")
    assert a.id != b.id
    assert a.id.rsplit(":", 1)[0] == b.id.rsplit(":", 1)[0] == "st:tiny-st"
    assert not np.allclose(a.embed_query("阿里巴巴"), b.embed_query("阿里巴巴"))


# -- embedder: missing models and bad options -------------------------------

def test_missing_hub_model_fails_fast_with_one_clear_error(empty_hf_cache, no_network):
    name = "intfloat/multilingual-e5-small"
    start = time.monotonic()
    with pytest.raises(EmbedderError) as info:
        make_embedder(f"sentence-transformers:{name}")
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert name in message
    assert f"huggingface-cli download {name}" in message
    assert "--embedder sentence-transformers:/path/to/model" in message
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert no_network == []


def test_missing_local_directory_is_a_clear_error(tmp_path):
    with pytest.raises(EmbedderError, match="does not exist"):
        make_embedder(f"sentence-transformers:{tmp_path / 'no-such-model'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedderError, match="modules.json or config.json"):
        make_embedder(f"sentence-transformers:{tmp_path / 'empty'}")


def test_broken_model_directory_fails_on_load_with_one_error(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    emb = make_embedder(f"sentence-transformers:{broken}")  # looks like a model: accepted
    with pytest.raises(EmbedderError, match="could not load") as info:
        emb.embed_query("x")
    assert "broken-model" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_cached_hub_model_loads_from_cache_without_network(tiny_st_model, empty_hf_cache,
                                                           no_network):
    # Lay the tiny model out as huggingface_hub caches a download.
    repo = empty_hf_cache / "models--acme--tiny-e5-zh"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_st_model, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    emb = make_embedder("sentence-transformers:acme/tiny-e5-zh")
    assert emb.id == "st:acme/tiny-e5-zh"
    assert emb.path == snapshot
    assert emb.query_prefix == "query: "
    assert len(emb.embed_query("阿里巴巴")) == tiny_models.HIDDEN
    # The snapshot directory given as a path: named after the repo, not the commit hash.
    by_path = make_embedder(f"sentence-transformers:{snapshot}")
    assert by_path.id.startswith("st:acme/tiny-e5-zh:")
    assert by_path.query_prefix == "query: "
    assert no_network == []


def test_device_and_batch_size_from_environment(tiny_st_model, monkeypatch):
    monkeypatch.setenv("RAG_ST_DEVICE", "CPU")
    monkeypatch.setenv("RAG_ST_BATCH_SIZE", "7")
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}")
    assert (emb.device, emb.batch_size) == ("cpu", 7)
    monkeypatch.delenv("RAG_ST_DEVICE")
    monkeypatch.delenv("RAG_ST_BATCH_SIZE")
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}")
    assert (emb.device, emb.batch_size) == ("cpu", 32)
    monkeypatch.setenv("RAG_ST_BATCH_SIZE", "lots")
    with pytest.raises(SettingsError, match="RAG_ST_BATCH_SIZE='lots'"):
        make_embedder(f"sentence-transformers:{tiny_st_model}")
    monkeypatch.delenv("RAG_ST_BATCH_SIZE")
    monkeypatch.setenv("RAG_ST_DEVICE", "tpu")
    with pytest.raises(EmbedderError, match="RAG_ST_DEVICE"):
        make_embedder(f"sentence-transformers:{tiny_st_model}")


def test_unavailable_cuda_is_a_clear_error(tiny_st_model):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    emb = make_embedder(f"sentence-transformers:{tiny_st_model}", device="cuda")
    with pytest.raises(EmbedderError, match="CUDA"):
        emb.embed_query("x")


# -- reranker ---------------------------------------------------------------

def test_make_reranker_specs(tiny_cross_encoder):
    assert make_reranker(None) is None
    assert make_reranker("") is None
    assert make_reranker("none") is None
    rr = make_reranker(f"sentence-transformers:{tiny_cross_encoder}")
    assert isinstance(rr, CrossEncoderReranker) and isinstance(rr, Reranker)
    assert rr.id.startswith("ce:tiny-cross-encoder:")
    assert make_reranker(f"st:{tiny_cross_encoder}").id == rr.id
    with pytest.raises(RerankerError, match="unknown reranker"):
        make_reranker("bm25:whatever")


def test_reranker_scores_one_float_per_passage(tiny_cross_encoder):
    rr = make_reranker(f"sentence-transformers:{tiny_cross_encoder}", batch_size=2)
    scores = rr.score("阿里巴巴的AI投入？", TEXTS)
    assert len(scores) == len(TEXTS)
    assert all(isinstance(s, float) and math.isfinite(s) for s in scores)
    assert rr.score("q", []) == []
    again = make_reranker(f"sentence-transformers:{tiny_cross_encoder}").score("阿里巴巴的AI投入？", TEXTS)
    np.testing.assert_allclose(scores, again, rtol=1e-5)
    ranked = rr.rank("阿里巴巴的AI投入？", TEXTS, top_k=2)
    assert len(ranked) == 2
    assert ranked[0][1] == max(scores) and ranked[0][1] >= ranked[1][1]
    assert sorted(i for i, _ in rr.rank("阿里巴巴的AI投入？", TEXTS)) == [0, 1, 2]


def test_missing_reranker_model_is_a_clear_error(empty_hf_cache, no_network):
    name = "BAAI/bge-reranker-v2-m3"
    start = time.monotonic()
    with pytest.raises(RerankerError) as info:
        make_reranker(f"sentence-transformers:{name}")
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert name in message and f"huggingface-cli download {name}" in message
    assert "--reranker sentence-transformers:/path/to/model" in message
    assert isinstance(info.value, EmbedderError)  # one except clause reports both
    assert no_network == []
