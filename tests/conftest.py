"""Repo-wide test fixtures: where things are, a clean environment, one shared index.

The shared index (``corpus_index``) is built once per session from the bundled
``corpus/`` with the default embedder, in a temporary directory, and is only
used by read-only question tests. Tests that change an index build their own.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
ARTICLE_ID = "article-alibaba-ai-rally"
ARTICLE_FILE = CORPUS / "article-alibaba-ai-rally.zh.txt"
ARTICLE_TITLE = "阿里巴巴加码AI投入、ADR大涨（新闻评论）"


@pytest.fixture(scope="session", autouse=True)
def _no_rag_environment():
    """RAG_* variables from the developer's shell (index, embedder, Chroma URL) must not leak in.

    The two that say where the shared test data lives stay: they move data, not behaviour.
    """
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("RAG_") and name not in ("RAG_SHARED_CORPUS", "RAG_SHARED_BENCHMARKS"):
                mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    """An Assistant over a real on-disk index (SQLite catalog + Chroma) of corpus/, default embedder."""
    from rag import Assistant

    index_dir = tmp_path_factory.mktemp("corpus-index")
    assistant = Assistant(index_dir=index_dir)
    report = assistant.ingest([CORPUS])
    statuses = {(r.doc_id, r.status) for r in report}
    assert statuses == {(ARTICLE_ID, "added")}, [r.line() for r in report]
    yield assistant
    assistant.close()


@pytest.fixture(scope="session")
def shared_embedder(corpus_index):
    """The session's loaded default embedder, reused by tests that build their own index."""
    return corpus_index.embedder
