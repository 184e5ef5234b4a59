"""Inside a scope, the chunks whose sentences state the asked measure as their subject (rag/stated.py).

A long report repeats the asked period on every page and names revenue as what expenses are measured
against; the one sentence that says what revenue was must still reach the candidates, with the page
feature that says so, over a real index on disk.
"""
from __future__ import annotations

import pytest

PERIOD = "for the six months ended September 30, 2021"


def _pages() -> list[str]:
    filler = [f"Sales and marketing expenses {PERIOD} were RMB{20 + i},000 million, or {5 + i}% of revenue, compared "
              f"to {4 + i}% of revenue {PERIOD.replace('2021', '2020')}. Cost of revenue {PERIOD} was RMB{250 + i},000 "
              f"million, or 62% of revenue." for i in range(12)]
    return [*filler[:6],
            f"Revenue\nRevenue {PERIOD} was RMB123,456 million, an increase of 21%.\n"
            f"Revenue from our cloud computing business {PERIOD} was RMB12,345 million.",
            *filler[6:],
            "Revenue for the six months ended September 30, 2022 was RMB130,002 million."]


@pytest.fixture
def index(tmp_path, hash_embedder):
    from rag import Assistant

    src = tmp_path / "docs"
    src.mkdir()
    (src / "interim-report.txt").write_text("\f".join(_pages()) + "\n", encoding="utf-8")
    a = Assistant(index_dir=tmp_path / "index", embedder=hash_embedder)
    assert a.ingest([src]).ok
    yield a
    a.close()


def test_the_sentence_stating_the_measure_reaches_the_candidates_with_its_page_feature(index):
    a = index
    doc = a.store.catalog.documents()[0]["doc_id"]
    r = a.retriever
    r.candidates = 4   # fewer than the pages repeating the period: keyword and dense search alone miss it
    q = f"What was revenue {PERIOD}?"
    cands = r.candidates_for(q, [doc], question=q)
    stated = {cands.rows[c]["page"]: v for c, v in cands.stated.items()}
    assert stated.get(7) == 1.0, stated   # "Revenue for the six months … was": nothing the question lacks
    assert 13 not in stated               # another year's revenue
    assert all(p == 7 for p in stated), stated   # "Cost of revenue …", "… % of revenue" state no revenue
    pages = {p.page: p.features for p in r.pages_of(q, cands)}
    assert pages[7]["stated"] == 1.0 and max(f["stated"] for n, f in pages.items() if n != 7) == 0.0
    # not for another kind of question, nor across documents
    assert r.candidates_for("Why did revenue grow?", [doc], question="Why did revenue grow?").stated == {}
    assert r.candidates_for(q, None, question=q).stated == {}
