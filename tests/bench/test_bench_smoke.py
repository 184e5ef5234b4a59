"""CI smoke check of the benchmark (evals/bench.py) at its smallest size.

The benchmark itself is not a test; this only proves that one run at a tiny
size (stand-in vectors for speed, real USE at query time, a corpus built from the
text/Markdown disclosures so no PDF is parsed, 5 questions) produces the Markdown
and JSON reports with sane numbers for both systems. About 30-45 s on a quiet
2-core machine; most of it is the 8 fresh worker processes.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evals.shared import REPO, shared_corpus


def test_bench_smallest_size_produces_reports(tmp_path):
    # read where the shared corpus is now (the RAG_* environment is cleared for tests, and the
    # benchmark's subprocess inherits that), and hand it over explicitly
    shared = shared_corpus()
    texts = [f for f in shared.glob("*") if f.suffix in (".md", ".txt") and f.name != "MANIFEST.md"] if shared.is_dir() else []
    if not texts:
        pytest.skip(f"the benchmark builds its corpus from the text/Markdown disclosures, none found in {shared} "
                    "(put ../shared/corpus beside the checkout or set RAG_SHARED_CORPUS)")
    out_json, out_md = tmp_path / "bench.json", tmp_path / "BENCH.md"
    p = subprocess.run(
        [sys.executable, "-m", "evals.bench", "--sizes", "100", "--questions", "5", "--no-real", "--no-pdf-sources",
         "--stand-in-above", "0", "--work", str(tmp_path / "work"), "--json", str(out_json), "--md", str(out_md),
         "--shared", str(shared), "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    res = json.loads(out_json.read_text())
    (size,) = res["sizes"]
    assert size["size"] == "100" and size["stand_in"]
    for name in ("ours", "baseline"):
        s = size["systems"][name]
        assert s["ingest"]["chunks"] > 0 and s["ingest"]["wall_s"] > 0 and s["ingest"]["failed"] == []
        assert s["ingest"]["index_mb"] > 0 and s["ingest"]["peak_rss_mb"] > 50
        q = s["query"]
        assert q["n_questions"] == 5
        assert 0 < q["retrieve_p50_ms"] <= q["retrieve_p95_ms"] < 60_000
        assert 0 < q["answer_p50_ms"] <= q["answer_p95_ms"] < 60_000
        assert 0 < s["cold_ask"]["open_to_first_s"] < 120
    assert 80 <= size["systems"]["ours"]["ingest"]["chunks"] <= 130
    md = out_md.read_text()
    assert "| retrieval p95 (ms) |" in md and "ours / baseline" in md and "stand-in" in md
