"""Fixtures for the UI tests: temporary indexes over the bundled corpus.

The embedding model is loaded once per session and shared by every Assistant;
the corpus index is built once per session and only read by tests; tests that
add or remove documents get an index of their own.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from ui_helpers import ARTICLE_ID, CORPUS  # noqa: E402


@pytest.fixture(scope="session")
def embedder():
    from rag.embeddings import make_embedder

    e = make_embedder("use")
    e.embed_query("warm-up")
    return e


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory, embedder):
    """Read-only: the bundled corpus in a temporary index."""
    from rag import Assistant

    a = Assistant(index_dir=tmp_path_factory.mktemp("corpus-index"), embedder=embedder)
    report = a.ingest([CORPUS])
    assert report.ok and any(d["doc_id"] == ARTICLE_ID for d in a.sources()), [r.line() for r in report]
    yield a
    a.close()


@pytest.fixture
def fresh_assistant(tmp_path, embedder):
    """An empty index of this test's own."""
    from rag import Assistant

    a = Assistant(index_dir=tmp_path / "index", embedder=embedder)
    yield a
    a.close()


@pytest.fixture
def corpus_copy_assistant(tmp_path, embedder):
    """The bundled corpus in an index this test may change."""
    from rag import Assistant

    a = Assistant(index_dir=tmp_path / "index", embedder=embedder)
    assert a.ingest([CORPUS]).ok
    yield a
    a.close()
