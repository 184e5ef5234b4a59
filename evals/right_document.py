"""Does a question reach its gold document? ``python -m evals.right_document [--work DIR] [--reinfer]``.

For each external benchmark (``../shared/benchmarks/financebench-dev``, ``findoc-zh-dev``) all its
documents go into ONE index (``DIR/<benchmark>``, reused between runs: ingest skips unchanged files),
then every question is scoped and searched as ``Assistant.ask`` does (automatic scope, soft scopes
fused, one issuer per answer) and compared with its gold document (FinanceBench: ``doc_name`` = the
file stem; FinDoc: ``files``):

- scope = gold: the scope (hard or preferred) is exactly the gold document;
- scope has gold: the scope includes it (or is the whole index with no preference);
- top passage: the best passage is from the gold document;
- passages: the share of the top-k passages from the gold document.

``--reinfer`` first re-infers every document's metadata with the current code (fields a manifest
or ``rag tag`` set are kept), so an index built by an older version is measured with today's
inference without embedding again. Also prints the metadata accuracy of the indexed documents.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO.parent / "shared" / "benchmarks"     # --benchmarks DIR to read them elsewhere


def questions(name: str, bench: Path = BENCH) -> list[tuple[str, str, list[str]]]:
    """(id, question, gold file stems) of a benchmark."""
    out = []
    for line in (bench / name / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if name.startswith("financebench"):
            out.append((q["financebench_id"], q["question"], [q["doc_name"]]))
        else:
            out.append((q["id"], q["question"], [Path(f).stem for f in q["files"]]))
    return out


def reinfer(assistant) -> int:
    """Re-infer the metadata of every document of ``assistant``'s index from its stored pages."""
    from ingest import Page
    from rag.metadata import FIELDS, infer_metadata

    cat = assistant.store.catalog
    n = 0
    for d in cat.documents():
        pages = []
        for i in range(1, d["pages"] + 1):
            t = cat.page_text(d["doc_id"], i)
            if t is not None:
                pages.append(Page(i, t))
        if not pages:
            t = cat.page_text(d["doc_id"], None)
            pages = [Page(None, t or "")]
        meta = d["meta"]
        keep = set(meta.get("tagged") or []) | {k for k in FIELDS if k in meta and k not in (meta.get("inferred") or {})}
        inf = infer_metadata(Path(d["source"]), pages)
        changes = {k: inf.fields.get(k, "" if k not in ("tickers", "aliases") else []) for k in FIELDS if k not in keep}
        changes["inferred"] = {k: inf.evidence[k] for k in inf.evidence if k not in keep}
        cat.update_meta(d["doc_id"], changes)
        n += 1
    return n


def run(name: str, work: Path, do_reinfer: bool, log, bench: Path = BENCH) -> dict:
    import numpy as np

    from rag import Assistant

    pdfs = sorted((bench / name / "pdfs").glob("*.pdf"))
    a = Assistant(index_dir=work / name)
    t0 = time.time()
    report = a.ingest(pdfs)
    log(f"[{name}] ingest: " + ", ".join(sorted({r.status for r in report})) + f" ({time.time() - t0:.0f} s)")
    if do_reinfer:
        log(f"[{name}] re-inferred metadata of {reinfer(a)} documents")
    stem_of = {d["doc_id"]: Path(d["source"]).stem for d in a.sources()}
    rows = []
    for qid, q, gold in questions(name, bench):
        sc = a.resolve_scope(q)
        qvec = np.asarray(a.embedder.embed_query(q), dtype=np.float32)
        docs = a._scoped_search(q, None, qvec, sc, one_issuer=True)
        got = [stem_of.get(d.metadata["doc_id"], "") for d in docs]
        target = getattr(sc, "documents", sc.doc_ids) if sc is not None else None
        target_stems = [stem_of.get(i, "") for i in target] if target is not None else None
        rows.append({
            "id": qid, "question": q, "gold": gold,
            "scope": sc.description if sc is not None else "",
            "scope_is_gold": target_stems is not None and sorted(target_stems) == sorted(gold),
            "scope_has_gold": target_stems is None or all(g in target_stems for g in gold),
            "top_is_gold": bool(got) and got[0] in gold,
            "passages_gold": (sum(g in gold for g in got) / len(got)) if got else 0.0,
            "abstains": bool(getattr(sc, "absent", [])),
        })
    docs = a.sources()
    a.close()
    n = len(rows)
    summary = {k: sum(r[k] for r in rows) / n for k in ("scope_is_gold", "scope_has_gold", "top_is_gold", "passages_gold",
                                                       "abstains")}
    summary["questions"] = n
    try:
        from evals.metadata_accuracy import measure

        m = measure(docs)
        summary["metadata"] = {k: m[k] for k in ("documents", "issuer", "period", "kind")}
    except Exception as e:  # an older tree without the truth table
        summary["metadata"] = str(e)
    return {"summary": summary, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", default=".rag-bench", help="where the benchmark indexes are kept (reused)")
    p.add_argument("--reinfer", action="store_true", help="re-infer metadata with the current code first")
    p.add_argument("--bench", action="append", help="financebench-dev and/or findoc-zh-dev (default both)")
    p.add_argument("--benchmarks", help=f"the benchmarks folder (default {BENCH})")
    p.add_argument("--json", help="write the rows and summaries here")
    p.add_argument("-v", "--verbose", action="store_true", help="print every question that misses")
    args = p.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    bench = Path(args.benchmarks) if args.benchmarks else BENCH
    out = {}
    for name in args.bench or ["findoc-zh-dev", "financebench-dev"]:
        res = run(name, Path(args.work), args.reinfer, log, bench)
        out[name] = res
        s = res["summary"]
        print(f"{name}: {s['questions']} questions; scope = gold {s['scope_is_gold']:.0%}, scope has gold "
              f"{s['scope_has_gold']:.0%}, top passage from gold {s['top_is_gold']:.0%}, passages from gold "
              f"{s['passages_gold']:.0%}, abstains (company not indexed) {s['abstains']:.0%}; metadata {s['metadata']}")
        if args.verbose:
            for r in res["rows"]:
                if not (r["top_is_gold"] and r["scope_has_gold"]):
                    print(f"  {r['id']}: {r['question'][:90]!r} gold={r['gold']} scope={r['scope'][:110]!r}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
