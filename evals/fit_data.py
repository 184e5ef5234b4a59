"""The questions the fitting scripts learn from (or check on), each with the index that answers it.

``evals.fit_ranker`` and ``evals.fit_answerer`` fit on the ``tune`` halves of the external
benchmarks plus the project's dev suites, and report on the ``check`` halves plus the test
suites; both walk the same questions the same way, through the eval index cache that
``rag eval`` fills (so fitting re-embeds nothing).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import external
from .runner import _Indexes, check_corpus, corpus_for
from .scoring import load_suite
from .shared import REPO


@dataclass
class Source:
    name: str                 # "financebench-dev.tune", "disclosures.dev.jsonl"
    assistant: object         # ours, over the index that holds the question's documents
    stem_of: dict             # doc id -> file stem (how benchmarks name documents)


def questions(indexes: _Indexes, halves: set[str], suites: list[str], log) -> Iterator[tuple[Source, object]]:
    """(where it comes from, the item): a benchmark's ``BenchItem`` or a suite's item dict."""
    for bench in external.benchmarks_from(external.EXTERNAL):
        ours, _ = indexes.get([bench.folder / "pdfs"], bench.name)
        stem_of = {d["doc_id"]: Path(d.get("source") or "").stem for d in ours.sources()}
        for half, items in bench.halves():
            if half in halves:
                src = Source(f"{bench.name}.{half}", ours, stem_of)
                yield from ((src, it) for it in items)
                log(f"[fit] {src.name}: {len(items)} questions")
    for s in suites:
        sp = REPO / s
        paths = corpus_for(sp)
        check_corpus(paths)
        ours, _ = indexes.get(paths, sp.name.split(".")[0])
        items = load_suite(sp)
        src = Source(sp.name, ours, {})
        yield from ((src, it) for it in items)
        log(f"[fit] {sp.name}: {len(items)} questions")
