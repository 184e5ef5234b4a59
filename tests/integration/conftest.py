from __future__ import annotations

import pytest

from itest_support import HashEmbedder


@pytest.fixture
def fresh_assistant(tmp_path, shared_embedder):
    """A new empty on-disk index (real Chroma + SQLite) using the session's loaded default embedder."""
    from rag import Assistant

    a = Assistant(index_dir=tmp_path / "index", embedder=shared_embedder)
    yield a
    a.close()


@pytest.fixture
def hash_embedder():
    return HashEmbedder()
