"""How often inferred metadata is right: issuer, period, kind (and short names, tickers).

``measure(documents)`` compares catalog rows (``Assistant.sources()``: each has ``doc_id``,
``source`` and ``meta``) with ``evals/metadata_truth.toml`` by file name; documents the
table does not describe are ignored. ``python -m evals.metadata_accuracy [--json] [FILE...]``
infers metadata straight from the files (default: every file of the table that is present)
and prints the table.

What counts as right:
- issuer: the inferred issuer equals the table's ``issuer`` or one of its ``also`` spellings,
  compared loosely (case, spacing, punctuation, full/half width);
- period: the same years and parts (FY2023Q3 and 2023Q3 are both the third quarter of 2023:
  the end date tells fiscal from calendar), and the same ``period_end`` when the table gives
  one; an empty period is right only where the table's is empty;
- kind: the same kind after normalisation (10-K, earnings release, annual report, …);
- names / tickers (reported, not gated): the share of the table's short names and printed
  tickers found among the inferred issuer, aliases and tickers.
"""
from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRUTH = REPO / "evals" / "metadata_truth.toml"


def load_truth(path: Path = TRUTH, corpus_root: str | Path | None = None,
               benchmarks_root: str | Path | None = None) -> dict[str, dict]:
    """File name -> expected fields (with ``path``: where the file should be). The corpus folder is
    ``corpus_root``, else RAG_SHARED_CORPUS, else the table's ``roots``; the benchmarks are under
    ``benchmarks_root``, else RAG_SHARED_BENCHMARKS, else the table's ``roots``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    roots = {k: (path.parent / v).resolve() for k, v in data.get("roots", {}).items()}
    corpus_root = corpus_root or os.environ.get("RAG_SHARED_CORPUS")
    if corpus_root:
        roots["corpus"] = Path(corpus_root).resolve()
    benchmarks_root = benchmarks_root or os.environ.get("RAG_SHARED_BENCHMARKS")
    if benchmarks_root:
        for name in ("financebench-dev", "findoc-zh-dev"):
            roots[name] = Path(benchmarks_root).resolve() / name / "pdfs"
    out = {}
    for name, row in data["documents"].items():
        row = dict(row)
        row["path"] = roots.get(row.get("set", ""), path.parent) / name
        out[name] = row
    return out


def _key(s: str) -> str:
    from rag.metadata import name_key

    return name_key(s)


def _periods(label: str) -> list[tuple[int, str | None]]:
    from rag.metadata import parse_period_label

    return [(p.year, p.part) for p in parse_period_label(label or "")]


def check(expected: dict, meta: dict) -> dict[str, tuple[bool, object, object]]:
    """Per field: (right?, expected, got)."""
    issuer = meta.get("issuer") or ""
    accepted = {_key(expected["issuer"])} | {_key(a) for a in expected.get("also", [])}
    period_ok = _periods(expected.get("period", "")) == _periods(meta.get("period") or "")
    if period_ok and expected.get("period_end"):
        period_ok = (meta.get("period_end") or "") == expected["period_end"]
    from rag.metadata import normalize_kind

    got_names = {_key(n) for n in [issuer, *(meta.get("aliases") or [])] if n}
    want_names = [n for n in expected.get("names", [])]
    got_tickers = {str(t).upper() for t in meta.get("tickers") or []}
    want_tickers = [str(t).upper() for t in expected.get("tickers", [])]
    return {
        "issuer": (_key(issuer) in accepted and bool(issuer), expected["issuer"], issuer),
        "period": (period_ok, f"{expected.get('period', '')} {expected.get('period_end', '')}".strip(),
                   f"{meta.get('period') or ''} {meta.get('period_end') or ''}".strip()),
        "kind": (normalize_kind(expected["kind"]) == normalize_kind(meta.get("kind") or ""), expected["kind"],
                 meta.get("kind") or ""),
        "names": (all(_key(n) in got_names for n in want_names), want_names,
                  [n for n in want_names if _key(n) in got_names]),
        "tickers": (all(t in got_tickers for t in want_tickers), want_tickers, sorted(got_tickers)),
    }


FIELDS = ("issuer", "period", "kind", "names", "tickers")


def measure(documents: list[dict], truth: dict[str, dict] | None = None) -> dict:
    """Accuracy of the catalog rows' metadata against the truth table (matched by file name).

    Returns ``{"documents": n, "issuer": ratio, "period": ratio, "kind": ratio, "names": ratio,
    "tickers": ratio, "wrong": [{"file", "field", "expected", "got"}], "missing": [file names
    of the table not among ``documents``]}``; ratios are None when no document matched.
    """
    truth = load_truth() if truth is None else truth
    right = {f: 0 for f in FIELDS}
    wrong = []
    seen = set()
    for doc in documents:
        name = Path(doc.get("source") or doc.get("doc_id", "")).name
        if name not in truth or name in seen:
            continue
        seen.add(name)
        for field, (ok, want, got) in check(truth[name], doc.get("meta") or {}).items():
            if ok:
                right[field] += 1
            else:
                wrong.append({"file": name, "field": field, "expected": want, "got": got})
    n = len(seen)
    out: dict = {"documents": n}
    out.update({f: (right[f] / n if n else None) for f in FIELDS})
    out["wrong"] = wrong
    out["missing"] = sorted(set(truth) - seen)
    return out


def format_table(result: dict) -> str:
    n = result["documents"]
    lines = [f"metadata accuracy over {n} documents: " + ", ".join(
        f"{f} {result[f]:.0%}" for f in FIELDS if result.get(f) is not None)]
    for w in result["wrong"]:
        lines.append(f"  {w['file']}: {w['field']} expected {w['expected']!r}, got {w['got']!r}")
    return "\n".join(lines)


def infer_files(paths: list[Path], max_pdf_pages: int | None = None) -> list[dict]:
    """Catalog-like rows with metadata inferred from each file alone (no manifest)."""
    from ingest import load_pages
    from rag.metadata import infer_metadata

    rows = []
    for p in paths:
        pages = load_pages(p, max_pages=max_pdf_pages) if max_pdf_pages else load_pages(p)
        rows.append({"doc_id": p.stem, "source": str(p), "meta": infer_metadata(p, pages).fields})
    return rows


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    files = [Path(a) for a in args if a != "--json"]
    truth = load_truth()
    if not files:
        files = [t["path"] for t in truth.values() if t["path"].is_file()]
    result = measure(infer_files(files), truth)
    print(json.dumps(result, ensure_ascii=False, indent=1) if as_json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
