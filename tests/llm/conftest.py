"""Fixtures for the LLM answerer tests: a fake OpenAI-compatible server and assistants using it.

The server is real HTTP on 127.0.0.1 (see fake_openai.py); nothing leaves the machine.
The index is built once per session from the bundled corpus/ with the default embedder.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fake_openai import FakeOpenAI, Reply  # noqa: E402
from llm_helpers import TIMEOUT  # noqa: E402

REPO = HERE.parents[1]
CORPUS = REPO / "corpus"


def require_langchain_openai():
    """The LLM answerer needs the ``llm`` extra; skip without it, except where it is expected (CI)."""
    import os

    if os.environ.get("RAG_REQUIRE_LLM") or (os.environ.get("CI") or "").lower() in ("1", "true", "yes"):
        import langchain_openai  # noqa: F401  (fails loudly)
        return
    pytest.importorskip("langchain_openai", reason="needs the llm extra: pip install -e '.[llm]'")


@pytest.fixture(scope="session")
def fake_llm_server():
    require_langchain_openai()
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server):
    """The session's server with an empty script and no recorded requests."""
    fake_llm_server.script()
    fake_llm_server.default = Reply("(no scripted reply)")
    yield fake_llm_server
    fake_llm_server.script()


@pytest.fixture(scope="session")
def llm_index(tmp_path_factory):
    """An index of corpus/ (built once), as a directory."""
    from rag import Assistant

    index_dir = tmp_path_factory.mktemp("llm-index")
    with Assistant(index_dir=index_dir, answerer="extractive") as a:
        report = a.ingest([CORPUS])
        assert report.ok, [r.line() for r in report]
    return index_dir


@pytest.fixture(scope="session")
def llm_assistant(llm_index, fake_llm_server):
    """An Assistant answering with the LLM at the fake server (timeout 1 s, no retries)."""
    from rag import Assistant

    mp = pytest.MonkeyPatch()
    mp.setenv("RAG_LLM_MAX_RETRIES", "0")
    try:
        a = Assistant(index_dir=llm_index, llm_base_url=fake_llm_server.base_url, llm_model="fake-model",
                      llm_api_key="test-key", llm_timeout=TIMEOUT)
    finally:
        mp.undo()
    yield a
    a.close()
