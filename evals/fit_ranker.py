"""``python -m evals.fit_ranker``: fit the page ranker's weights (rag/ranking.py) on tune data only.

Training questions: the ``tune`` halves of the external benchmarks (evals/external.toml) and
the project's own dev suites whose items name a document and page. For each question the
candidate pages are gathered exactly as ``Assistant.ask`` gathers them (its scope, then
dense + keyword + statement-title candidates), each page gets the ranker's features, and a
conditional logit (softmax over one question's pages, L2-regularised) is fitted so that the
gold page outranks the others. Questions whose gold page is not among the candidates
cannot teach the ranker anything and are counted, not used.

Writes ``rag/data/page_ranker.json`` (weights, what they were fitted on, the date) and prints
page recall@k of the passages handed to the answerer, default weights beside fitted, on
tune and on check: check is never used for fitting and says whether the fit generalises.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.ranking import DEFAULT_WEIGHTS, FEATURES, WEIGHTS_FILE, pick_passages, rank_pages

from . import external, fit_data
from .runner import DEFAULT_WORK, _Indexes
from .shared import REPO

OWN_DEV = ["evals/suites/disclosures.dev.jsonl", "evals/suites/scoped.dev.jsonl"]
OWN_TEST = ["evals/suites/disclosures.test.jsonl", "evals/suites/scoped.test.jsonl"]


@dataclass
class Question:
    source: str          # benchmark half or suite name
    text: str
    gold: set            # {(doc_id, page)}
    pages: list          # PageCandidate list (features)


def _gather(assistant, text: str, gold: set, source: str, candidates: int | None = None) -> Question:
    if candidates:
        assistant.retriever.candidates = candidates
    sc = assistant.resolve_scope(text)
    doc_ids = sc.doc_ids if sc is not None else None
    query = sc.query if (sc is not None and sc.query and doc_ids) else text
    c = assistant.retriever.candidates_for(query, doc_ids, question=text)
    pages = assistant.retriever.pages_of(text, c)
    return Question(source, text, gold, pages)


def collect(indexes: _Indexes, halves: set[str], suites: list[str], log, candidates: int | None = None) -> list[Question]:
    out = []
    for src, it in fit_data.questions(indexes, halves, suites, log):
        if isinstance(it, external.BenchItem):
            ids = {stem: doc_id for doc_id, stem in src.stem_of.items()}
            out.append(_gather(src.assistant, it.question, {(ids.get(d), p) for d, p in it.gold_pages}, src.name,
                               candidates))
        elif it.get("doc") and it.get("page") and not it.get("refuse"):   # suite items with a gold page
            out.append(_gather(src.assistant, it["q"], {(it["doc"], it["page"])}, src.name, candidates))
    return out


def _matrix(q: Question) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[p.features[f] for f in FEATURES] for p in q.pages], dtype=np.float64)
    y = np.array([(p.doc_id, p.page) in q.gold for p in q.pages], dtype=np.float64)
    return x, y


def fit(questions: list[Question], l2: float = 0.01, steps: int = 3000, lr: float = 1.0) -> np.ndarray:
    """Conditional logit: maximise sum over questions of log softmax(x w)[gold pages]."""
    data = [(x, y) for x, y in map(_matrix, questions) if y.any() and len(y) > 1]
    w = np.array([DEFAULT_WEIGHTS[f] for f in FEATURES], dtype=np.float64)
    for _ in range(steps):
        grad = l2 * w
        for x, y in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = y / y.sum()
            grad -= (target - p) @ x / len(data)
        w -= lr * grad
    return w


def recall_at(questions: list[Question], weights: dict, k: int) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = {}
    for q in questions:
        ranked = rank_pages(q.pages, weights)
        chosen = pick_passages(ranked, k)
        where = {(p.doc_id, p.page) for p in ranked for c in p.chunks if c in chosen}
        hit = bool(where & q.gold)
        r = out.setdefault(q.source, [0, 0])
        r[0] += hit
        r[1] += 1
    return {s: (a, b) for s, (a, b) in out.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit_ranker", description=__doc__.split("\n")[0])
    p.add_argument("--work", default=str(DEFAULT_WORK), help="eval index cache (shared with rag eval)")
    p.add_argument("-k", type=int, default=8, help="passages handed to the answerer")
    p.add_argument("--candidates", type=int, default=None, help="candidates per retriever (default: settings)")
    p.add_argument("--dry-run", action="store_true", help="print the figures, do not write the weights file")
    args = p.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    indexes = _Indexes(Path(args.work), baseline=False, log=log)
    train = collect(indexes, {"tune"}, OWN_DEV, log, args.candidates)
    held = collect(indexes, {"check"}, OWN_TEST, log, args.candidates)
    usable = sum(1 for q in train if any((pg.doc_id, pg.page) in q.gold for pg in q.pages))
    w = fit(train)
    fitted = {f: round(float(v), 4) for f, v in zip(FEATURES, w)} | {"bias": 0.0}
    print(f"fitted on {len(train)} questions ({usable} with the gold page among the candidates)")
    print("weights: " + ", ".join(f"{f}={fitted[f]:+.3f}" for f in FEATURES))
    print(f"\npage recall@{args.k} of the passages   default -> fitted")
    for name, qs in (("train", train), ("held out", held)):
        before, after = recall_at(qs, DEFAULT_WEIGHTS, args.k), recall_at(qs, fitted, args.k)
        for src in before:
            (a, n), (b, _) = before[src], after[src]
            print(f"  {name:9} {src:32} {a:3}/{n:<3} -> {b:3}/{n:<3}")
    if not args.dry_run:
        WEIGHTS_FILE.write_text(json.dumps({
            "weights": fitted, "features": list(FEATURES), "model": "conditional logit over a question's pages",
            "fitted_on": sorted({q.source for q in train}), "questions": len(train), "usable": usable,
            "k": args.k, "date": dt.date.today().isoformat(), "script": "python -m evals.fit_ranker",
        }, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {WEIGHTS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
