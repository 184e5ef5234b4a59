"""How often the "names a company the index does not hold" rule would make an answerable question
abstain: ``python -m evals.named_company_check --suite-index DIR --bench-work DIR``.

Every question of ``evals/suites/*.jsonl`` is scoped against the index its suite runs on (the
bundled corpus for ``article.*``, bundled + shared disclosures otherwise: an index ``rag eval
--work DIR`` built, passed as ``--suite-index``/``--article-index``), and every benchmark question
against its benchmark's index (``evals.right_document --work DIR``). A false positive is an
answerable question (no ``refuse``; every benchmark question) whose scope lists an absent company;
refused questions that it catches are reported too.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _scopes(index_dir: Path, items: list[tuple[str, str, bool]]) -> list[dict]:
    from rag import Assistant

    a = Assistant(index_dir=index_dir)
    out = []
    for qid, q, answerable in items:
        sc = a.resolve_scope(q)
        out.append({"id": qid, "q": q, "answerable": answerable, "absent": list(sc.absent) if sc else [],
                    "scope": sc.description if sc else ""})
    a.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--suite-index", required=True, help="index of bundled + shared disclosures (rag eval --work)")
    p.add_argument("--article-index", help="index of the bundled corpus only (default: --suite-index)")
    p.add_argument("--bench-work", help="folder with the benchmark indexes (evals.right_document --work)")
    p.add_argument("--benchmarks", default=str(REPO.parent / "shared" / "benchmarks"))
    p.add_argument("--json", help="write every scoped question here")
    args = p.parse_args(argv)
    from evals.right_document import questions
    from evals.scoring import load_suite

    groups: dict[str, list[dict]] = {}
    for suite in sorted((REPO / "evals" / "suites").glob("*.jsonl")):
        items = [(it["id"], it["q"], not it.get("refuse")) for it in load_suite(suite)]
        index = Path(args.article_index or args.suite_index) if suite.name.startswith("article") else Path(args.suite_index)
        groups[suite.name] = _scopes(index, items)
    if args.bench_work:
        for name in ("financebench-dev", "findoc-zh-dev"):
            items = [(qid, q, True) for qid, q, _ in questions(name, Path(args.benchmarks))]
            groups[name] = _scopes(Path(args.bench_work) / name, items)
    total_ans = total_fp = total_ref = total_tp = 0
    for name, rows in groups.items():
        ans = [r for r in rows if r["answerable"]]
        fp = [r for r in ans if r["absent"]]
        ref = [r for r in rows if not r["answerable"]]
        tp = [r for r in ref if r["absent"]]
        total_ans, total_fp, total_ref, total_tp = total_ans + len(ans), total_fp + len(fp), total_ref + len(ref), total_tp + len(tp)
        print(f"{name}: {len(fp)}/{len(ans)} answerable questions flagged" + (f"; {len(tp)}/{len(ref)} refused ones caught" if ref else ""))
        for r in fp:
            print(f"  FALSE POSITIVE {r['id']}: {r['q']!r} absent={r['absent']}")
        for r in tp:
            print(f"  caught {r['id']}: {r['q']!r} absent={r['absent']}")
    print(f"total: false positives {total_fp}/{total_ans} answerable questions; "
          f"{total_tp}/{total_ref} unanswerable questions caught by it")
    if args.json:
        Path(args.json).write_text(json.dumps(groups, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
