"""Fixtures for the reliability suite (helpers and generators: ``reliability_support.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_support import ChromaServer  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "reliability: hostile inputs, crash safety, concurrency, Chroma server")
    config.addinivalue_line("markers", "chroma_server: starts a real `chroma run` server on 127.0.0.1")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


# -- shared, expensive objects --------------------------------------------------------

@pytest.fixture(scope="session")
def embedder():
    """One USE embedder for all in-process Assistants (loading it costs ~1 s each time)."""
    from rag.embeddings import make_embedder

    e = make_embedder("use")
    e.embed_query("warm up")
    return e


@pytest.fixture
def make_assistant(embedder):
    opened = []

    def make(index_dir, **kw):
        from rag import Assistant

        a = Assistant(index_dir=index_dir, embedder=embedder, **kw)
        opened.append(a)
        return a

    yield make
    for a in opened:
        a.close()


@pytest.fixture
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            try:
                server.resume()
            except (ProcessLookupError, AttributeError):
                pass
        server.stop()


