"""`rag eval`: run suites through the public API, score ours and the baseline side by side.

Each suite is answered over an index built for it: suites named ``article.*``
over the bundled corpus; all others over the bundled corpus plus the shared
disclosures (evals/disclosures.toml), which must be present with matching
hashes — a missing or altered file fails the run loudly rather than silently
lowering a score.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.manifest import load_manifest, verify_manifest_files

from .scoring import answer_passes, evidence_in, load_suite, overlaps, percentile

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "corpus"
DISCLOSURES = REPO / "evals" / "disclosures.toml"


class EvalError(RuntimeError):
    pass


def corpus_for(suite_path: Path) -> list[Path]:
    if suite_path.name.startswith("article"):
        return [BUNDLED]
    return [BUNDLED, DISCLOSURES]


def check_corpus(paths: list[Path]) -> None:
    for p in paths:
        if p.suffix == ".toml":
            problems = verify_manifest_files(load_manifest(p))
            if problems:
                raise EvalError("shared disclosures unavailable or altered (set RAG_SHARED_CORPUS to their folder):\n  "
                                + "\n  ".join(problems))


@dataclass
class SystemResult:
    name: str
    rows: list[dict] = field(default_factory=list)

    def metrics(self) -> dict:
        rows = self.rows
        answerable = [r for r in rows if not r["refuse"]]
        refuse = [r for r in rows if r["refuse"]]
        abstained = [r for r in rows if r["abstained"]]
        cited = [r for r in rows if not r["abstained"] and r["citations"]]
        with_ev = [r for r in answerable if r.get("evidence")]
        lat = [r["seconds"] for r in rows]
        return {
            "items": len(rows),
            "passed": sum(r["passed"] for r in rows),
            "accuracy": _ratio(sum(r["passed"] for r in rows), len(rows)),
            "answer_accuracy": _ratio(sum(r["passed"] for r in answerable), len(answerable)),
            "abstention_precision": _ratio(sum(r["refuse"] for r in abstained), len(abstained)),
            "abstention_recall": _ratio(sum(r["abstained"] for r in refuse), len(refuse)),
            "false_abstentions": sum(r["abstained"] for r in answerable),
            "citation_accuracy": _ratio(sum(r["citations_ok"] for r in cited), len(cited)),
            "retrieval_recall": _ratio(sum(r["retrieved_evidence"] for r in with_ev), len(with_ev)),
            "latency_p50_ms": 1000 * percentile(lat, 50),
            "latency_p95_ms": 1000 * percentile(lat, 95),
        }


def _ratio(a, b):
    return round(a / b, 4) if b else None


def score_item(item: dict, answer, passages: list[dict], page_text, seconds: float) -> dict:
    citations_ok = True
    for c in answer.citations:
        text = page_text(c.doc_id, c.page) or ""
        if not c.quote or c.quote not in text:
            citations_ok = False
    ev = item.get("evidence")
    if ev and answer.citations and not answer.abstained:
        if not any(c.doc_id == item.get("doc") and overlaps(ev, c.quote) for c in answer.citations):
            citations_ok = False
    retrieved = bool(ev) and evidence_in(ev, [p["text"] for p in passages if p.get("doc_id") == item.get("doc")])
    return {
        "id": item["id"], "q": item["q"], "refuse": bool(item.get("refuse")),
        "passed": answer_passes(item, answer.text, answer.abstained), "abstained": answer.abstained,
        "answer": answer.text, "citations": [c.to_dict() for c in answer.citations],
        "citations_ok": citations_ok if answer.citations else False, "evidence": ev,
        "retrieved_evidence": retrieved, "seconds": seconds, "notices": list(answer.notices),
    }


def _index_key(paths: list[Path], extra: str) -> str:
    h = hashlib.sha1(extra.encode())
    for p in paths:
        h.update(str(p).encode())
    return h.hexdigest()[:10]


def build_assistant(index_dir: Path, paths: list[Path], log, label: str):
    """An Assistant with ``paths`` ingested into ``index_dir``; any failed file fails the eval loudly."""
    from rag import Assistant

    t0 = time.perf_counter()
    assistant = Assistant(index_dir=index_dir)
    report = assistant.ingest([str(p) for p in paths])
    if report.failed:
        raise EvalError("ingest failed: " + "; ".join(r.line() for r in report.failed))
    log(f"{label}: indexed {len(assistant.sources())} documents in {time.perf_counter() - t0:.1f}s")
    return assistant


def run(suites: list[str], work: Path | None, baseline: bool = True, log=print) -> dict:
    work = Path(work) if work else Path(tempfile.mkdtemp(prefix="rag-eval-"))
    results = {}
    cache: dict[str, tuple] = {}
    for s in suites:
        sp = Path(s)
        items = load_suite(sp)
        paths = corpus_for(sp)
        check_corpus(paths)
        key = _index_key(paths, "v1")
        if key not in cache:
            ours = build_assistant(work / f"ours-{key}", paths, log, "[eval] ours")
            base = None
            if baseline:
                from .baseline import BaselinePipeline

                t0 = time.perf_counter()
                base = BaselinePipeline(ours.embedder, work / f"baseline-{key}")
                if base.db._collection.count() == 0:
                    base.ingest([str(p) for p in paths])
                log(f"[eval] baseline: indexed in {time.perf_counter() - t0:.1f}s")
            cache[key] = (ours, base)
        ours, base = cache[key]
        mine = SystemResult("ours")
        theirs = SystemResult("baseline")
        for item in items:
            t0 = time.perf_counter()
            ans = ours.ask(item["q"])
            mine.rows.append(score_item(item, ans, ans.passages, ours.page_text, time.perf_counter() - t0))
            if base is not None:
                t0 = time.perf_counter()
                bans, bdocs = base.ask(item["q"])
                passages = [{"text": d.page_content, **d.metadata} for d in bdocs]
                theirs.rows.append(score_item(item, bans, passages, base.catalog.page_text, time.perf_counter() - t0))
        results[sp.name] = {"ours": mine, "baseline": theirs if base is not None else None}
    return results


METRICS = [
    ("answer_accuracy", "answer accuracy"), ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"), ("citation_accuracy", "citation accuracy"),
    ("retrieval_recall", "retrieval recall@k"), ("accuracy", "overall pass rate"),
    ("latency_p50_ms", "latency p50 (ms)"), ("latency_p95_ms", "latency p95 (ms)"),
]


def _fmt(v, key):
    if v is None:
        return "–"
    if key.startswith("latency"):
        return f"{v:.0f}"
    return f"{100 * v:.1f}%"


def to_markdown(results: dict) -> str:
    out = []
    for name, r in results.items():
        m = r["ours"].metrics()
        b = r["baseline"].metrics() if r["baseline"] else None
        out.append(f"### {name} ({m['items']} items)\n")
        out.append("| metric | ours | baseline | ours/baseline |\n|---|---|---|---|")
        for key, label in METRICS:
            bv = b[key] if b else None
            ratio = f"{m[key] / bv:.2f}x" if (bv and m[key] is not None) else "–"
            out.append(f"| {label} | {_fmt(m[key], key)} | {_fmt(bv, key)} | {ratio} |")
        fails = [row for row in r["ours"].rows if not row["passed"]]
        if fails:
            out.append(f"\nFailing items (ours), {len(fails)}:\n")
            for row in fails:
                ans = row["answer"].replace("\n", " ")[:160]
                why = f" ({'; '.join(row['notices'])})" if row["notices"] else ""
                out.append(f"- `{row['id']}` {row['q']} → {'ABSTAINED' if row['abstained'] else ans}{why}")
        out.append("")
    return "\n".join(out)


def to_json(results: dict) -> dict:
    return {name: {sys_name: ({"metrics": s.metrics(), "items": s.rows} if s else None)
                   for sys_name, s in r.items()} for name, r in results.items()}


def gate(results: dict, thresholds_path: Path) -> list[str]:
    """Threshold failures; thresholds.toml maps a suite-name prefix to minimum metrics."""
    spec = tomllib.loads(Path(thresholds_path).read_text(encoding="utf-8"))
    failures = []
    for name, r in results.items():
        m = r["ours"].metrics()
        for prefix, mins in spec.items():
            if not name.startswith(prefix):
                continue
            for key, minimum in mins.items():
                value = m.get(key)
                if value is None:
                    continue
                if key.startswith("latency"):
                    if value > minimum:
                        failures.append(f"{name}: {key} {value:.0f} > {minimum}")
                elif value < minimum:
                    failures.append(f"{name}: {key} {value:.3f} < {minimum}")
    return failures


def main(args) -> int:
    try:
        results = run(args.suites, Path(args.work) if args.work else None, baseline=not args.no_baseline,
                      log=lambda m: print(m, file=sys.stderr))
    except (EvalError, ValueError, FileNotFoundError) as e:
        print(f"rag eval: error: {e}", file=sys.stderr)
        return 1
    md = to_markdown(results)
    if args.json:
        print(json.dumps(to_json(results), ensure_ascii=False, indent=1))
    else:
        print(md)
    if args.report:
        rp = Path(args.report)
        rp.parent.mkdir(parents=True, exist_ok=True)
        rp.write_text(json.dumps(to_json(results), ensure_ascii=False, indent=1) if rp.suffix == ".json" else md,
                      encoding="utf-8")
    if args.gate:
        failures = gate(results, Path(args.gate))
        if failures:
            print("EVAL GATE FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        print("eval gate passed", file=sys.stderr)
    return 0
