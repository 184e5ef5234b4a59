"""`rag eval`: run suites and external benchmarks through the public API, ours beside the baseline.

Arguments are suite files (``evals/suites/*.jsonl``), external benchmark folders
(``../shared/benchmarks/financebench-dev``) or ``evals/external.toml``, which lists the
benchmarks and their fixed tune/check split (see :mod:`evals.external`).

Each suite is answered over an index built for it: suites named ``article.*`` over
the bundled corpus; other suites over the bundled corpus plus the shared
disclosures (evals/disclosures.toml), which must be present with matching hashes —
a missing or altered file fails the run loudly rather than silently lowering a
score. A benchmark's documents go into one index of their own.

Indexes are cached under ``--work`` (default ``.eval-cache/`` in the checkout), keyed
by the content of the files they hold and of the code that builds an index, so a
re-run does not re-embed 25 MB of PDFs, and a change to ingest does not reuse a
stale index.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.manifest import load_manifest, verify_manifest_files

from . import external
from .scoring import answer_passes, evidence_in, load_suite, overlaps, percentile
from .shared import REPO

BUNDLED = REPO / "corpus"
DISCLOSURES = REPO / "evals" / "disclosures.toml"
DEFAULT_WORK = REPO / ".eval-cache"
# What an index's content depends on besides its files (how text is read, cleaned, chunked,
# tokenised, embedded and described): a change here rebuilds eval indexes. Query-time code and
# storage mechanics (catalog schema migrations, search) are left out on purpose, so that tuning
# retrieval and answering does not re-embed the benchmarks.
INDEX_SOURCES = ("ingest/*.py", "rag/indexing.py", "rag/text.py", "rag/embeddings/*.py",
                 "rag/metadata/*.py", "rag/vocabulary.py", "rag/patterns.py", "rag/data/issuers.toml",
                 "rag/data/kinds.toml", "rag/data/periods.toml", "evals/baseline.py")


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


def _files_of(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.suffix == ".toml":   # a manifest: itself and the files it lists (verified by check_corpus)
            manifest = load_manifest(p)
            out += [p, *manifest.by_path()]
        elif p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file())
        else:
            out.append(p)
    return out


def _index_key(paths: list[Path], extra: str) -> str:
    """A digest of the files an index holds and of the code that builds it."""
    h = hashlib.sha256(extra.encode())
    for f in _files_of(paths):
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.read_bytes()).digest() if f.is_file() else b"-")
    for pattern in INDEX_SOURCES:
        for f in sorted(REPO.glob(pattern)):
            if f.is_file():
                h.update(f.relative_to(REPO).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:12]


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


def _baseline_available(log) -> bool:
    try:
        import langchain_chroma  # noqa: F401
        import langchain_text_splitters  # noqa: F401
    except ImportError:
        log("[eval] notice: the LangChain baseline needs the `eval` extra (pip install -e '.[eval]'); "
            "running ours alone")
        return False
    return True


class _Indexes:
    """Ours and the baseline over a set of paths, built once per content key and reused."""

    def __init__(self, work: Path, baseline: bool, log):
        self.work, self.baseline, self.log = work, baseline, log
        self.cache: dict[str, tuple] = {}

    def get(self, paths: list[Path], label: str):
        key = _index_key(paths, "v2")
        if key not in self.cache:
            ours = build_assistant(self.work / f"ours-{label}-{key}", paths, self.log, f"[eval] ours ({label})")
            base = None
            if self.baseline:
                from .baseline import BaselinePipeline

                t0 = time.perf_counter()
                bdir = self.work / f"baseline-{label}-{key}"
                done = bdir / "INGESTED"
                if bdir.exists() and not done.exists():   # an interrupted earlier build: start over
                    shutil.rmtree(bdir)
                base = BaselinePipeline(ours.embedder, bdir)
                base.ingest([str(p) for p in paths])
                done.write_text("ok\n")
                self.log(f"[eval] baseline ({label}): ready in {time.perf_counter() - t0:.1f}s")
            self.cache[key] = (ours, base)
        return self.cache[key]


@dataclass
class MetadataResult:
    """Inferred metadata of every indexed document that evals/metadata_truth.toml describes."""
    documents: list[dict] = field(default_factory=list)

    def measured(self) -> dict:
        from .metadata_accuracy import measure

        return measure(self.documents)

    def metrics(self) -> dict:
        return {k: v for k, v in self.measured().items() if k not in ("wrong", "missing")}


def run(suites: list[str], work: Path | None, baseline: bool = True, log=print) -> dict:
    work = Path(work) if work else DEFAULT_WORK
    work.mkdir(parents=True, exist_ok=True)
    baseline = baseline and _baseline_available(log)
    indexes = _Indexes(work, baseline, log)
    results = {}
    metadata = MetadataResult()
    for s in suites:
        sp = Path(s)
        if external.is_benchmark(sp):
            for bench in external.benchmarks_from(sp):
                results.update(run_benchmark(bench, indexes, log))
            continue
        items = load_suite(sp)
        paths = corpus_for(sp)
        check_corpus(paths)
        ours, base = indexes.get(paths, sp.name.split(".")[0])
        mine = SystemResult("ours")
        theirs = SystemResult("baseline")
        for item in items:
            t0 = time.perf_counter()
            ans = ours.ask(item["q"], history=item.get("history"))
            mine.rows.append(score_item(item, ans, ans.passages, ours.page_text, time.perf_counter() - t0))
            if base is not None:
                t0 = time.perf_counter()
                bans, bdocs = base.ask(item["q"])
                passages = [{"text": d.page_content, **d.metadata} for d in bdocs]
                theirs.rows.append(score_item(item, bans, passages, base.catalog.page_text, time.perf_counter() - t0))
        results[sp.name] = {"ours": mine, "baseline": theirs if base is not None else None}
    # the metadata each index inferred for its documents, checked against the truth table
    seen = set()
    for ours, _ in indexes.cache.values():
        for d in ours.sources():
            if d["doc_id"] not in seen:
                seen.add(d["doc_id"])
                metadata.documents.append(d)
    if metadata.metrics().get("documents"):
        results["metadata"] = {"ours": metadata, "baseline": None}
    return results


def run_benchmark(bench: "external.Benchmark", indexes: _Indexes, log) -> dict:
    """Every question of one benchmark over one index of all its documents, reported per half."""
    ours, base = indexes.get([bench.folder / "pdfs"], bench.name)
    stems = {d["doc_id"]: Path(d.get("source") or d["doc_id"]).stem for d in ours.sources()}
    bstems = {doc_id: Path(d.get("source") or doc_id).stem for doc_id, d in base.catalog.docs.items()} if base else {}
    out = {}
    for half, items in bench.halves():
        name = f"{bench.name}.{half}"
        mine, theirs = external.BenchResult("ours"), external.BenchResult("baseline")
        for item in items:
            t0 = time.perf_counter()
            ans = ours.ask(item.question)
            mine.rows.append(external.score_item(item, ans, ans.passages, stems, time.perf_counter() - t0))
            if base is not None:
                t0 = time.perf_counter()
                bans, bdocs = base.ask(item.question)
                passages = [dict(d.metadata) for d in bdocs]
                theirs.rows.append(external.score_item(item, bans, passages, bstems, time.perf_counter() - t0))
        out[name] = {"ours": mine, "baseline": theirs if base is not None else None}
        log(f"[eval] {name}: {len(items)} questions")
    return out


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


def _table(m: dict, b: dict | None, metrics, fmt) -> list[str]:
    out = ["| metric | ours | baseline | ours/baseline |", "|---|---|---|---|"]
    for key, label in metrics:
        bv = b[key] if b else None
        ratio = f"{m[key] / bv:.2f}x" if (bv and m[key] is not None) else "–"
        out.append(f"| {label} | {fmt(m[key], key)} | {fmt(bv, key)} | {ratio} |")
    return out


def to_markdown(results: dict) -> str:
    out = []
    for name, r in results.items():
        if isinstance(r["ours"], MetadataResult):
            from .metadata_accuracy import FIELDS

            got = r["ours"].measured()
            out.append(f"### metadata ({got['documents']} documents of evals/metadata_truth.toml)\n")
            out.append("| field | right |\n|---|---|")
            out += [f"| {f} | {_fmt(got[f], f)} |" for f in FIELDS if got.get(f) is not None]
            if got["wrong"]:
                out.append("\nWrong:\n")
                out += [f"- {w['file']}: {w['field']} expected {w['expected']!r}, got {w['got']!r}" for w in got["wrong"]]
            out.append("")
            continue
        m = r["ours"].metrics()
        b = r["baseline"].metrics() if r["baseline"] else None
        if isinstance(r["ours"], external.BenchResult):
            out.append(f"### {name} ({m['items']} questions, {m['figure_items']} with a gold figure)\n")
            out += _table(m, b, external.METRICS, external.fmt)
            kinds = r["ours"].failure_kinds()
            if kinds:
                out.append("\nKinds of failure (ours): " + "; ".join(f"{k} {n}" for k, n, _ in kinds))
            fails = [row for row in r["ours"].rows if row["failure"]]
            if fails:
                out.append(f"\nFailing items (ours), {len(fails)}:\n")
                for row in fails:
                    ans = " ".join(row["answer"].split())[:160]
                    out.append(f"- `{row['id']}` [{row['failure']}] {row['q'][:140]} → "
                               f"{'ABSTAINED' if row['abstained'] else ans} | cited: {', '.join(row['cited']) or '–'}"
                               f" | gold: {', '.join(row['gold_pages'])}")
            out.append("")
            continue
        out.append(f"### {name} ({m['items']} items)\n")
        out += _table(m, b, METRICS, _fmt)
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
    def one(s):
        if s is None:
            return None
        if isinstance(s, MetadataResult):
            return s.measured()
        return {"metrics": s.metrics(), "items": s.rows}

    return {name: {sys_name: one(s) for sys_name, s in r.items()} for name, r in results.items()}


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
