"""External benchmarks: real filings and questions written by other people, scored on cited pages.

A benchmark is a folder as it is shipped in ``../shared/benchmarks`` (read in place,
never copied here): PDFs under ``pdfs/`` and a ``questions.jsonl`` with gold answers
and gold evidence pages. Two formats are read:

- FinanceBench (``financebench_id``, ``doc_name``, ``evidence[].evidence_page_num``:
  0-based PDF page index, so the 1-based page a citation gives is ``n + 1``);
- FinDoc-style Chinese annual-report QA (``id``, ``files``, ``pages``: 1-based).

``evals/external.toml`` names the benchmarks CI runs and fixes, once, the split of
each one **by document** into a ``tune`` half and a ``check`` half. Tune on ``tune``
(and the project's own dev suites); ``check`` says whether a change generalises.

All documents of a benchmark go into one index, as an analyst's folder of filings
would, so finding the right document is part of the test.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .figures import states_figure
from .scoring import percentile
from .shared import REPO, shared_benchmarks

EXTERNAL = REPO / "evals" / "external.toml"
MAX_ANSWER_CHARS = 350      # the answer-length target of the answerer issue
_MARKER = re.compile(r"\s*\[\d+\]")


class BenchmarkError(RuntimeError):
    pass


@dataclass
class BenchItem:
    id: str
    question: str
    answer: str                      # gold answer text
    gold_pages: set[tuple[str, int]]  # (document file stem, 1-based page)
    docs: list[str]                  # gold document file stems
    kind: str = ""                   # the source's question type / scene
    half: str = ""                   # tune | check
    evidence: list[str] = field(default_factory=list)   # gold evidence text, where the source gives it


@dataclass
class Benchmark:
    name: str
    folder: Path
    pdfs: list[Path]
    items: list[BenchItem]
    split: dict[str, list[str]] = field(default_factory=dict)   # half -> document file stems

    def halves(self) -> list[tuple[str, list[BenchItem]]]:
        if not self.split:
            return [("all", self.items)]
        return [(h, [i for i in self.items if i.half == h]) for h in self.split]


def _stem(name: str) -> str:
    return Path(name).stem if name.lower().endswith(".pdf") else name


def read_config(path: Path = EXTERNAL) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def is_benchmark(path: Path) -> bool:
    """A benchmark folder, or a TOML file listing benchmarks (like evals/external.toml)."""
    return (path.is_dir() and (path / "questions.jsonl").is_file()) or (
        path.suffix == ".toml" and "benchmark" in read_config(path).get("meta", {}).get("describes", ""))


def benchmarks_from(path: Path) -> list[Benchmark]:
    """The benchmarks a path names: one folder, or every benchmark listed in a config file."""
    if path.suffix == ".toml":
        config = read_config(path)
        root = shared_benchmarks()
        out = []
        for name, spec in config.items():
            if name == "meta":
                continue
            folder = root / spec.get("folder", name)
            out.append(load_benchmark(folder, name, spec))
        return out
    config = read_config()
    name = path.resolve().name
    return [load_benchmark(path, name, config.get(name, {}))]


def load_benchmark(folder: Path, name: str, spec: dict) -> Benchmark:
    qfile = folder / "questions.jsonl"
    if not qfile.is_file():
        raise BenchmarkError(f"benchmark {name}: {qfile} not found (set RAG_SHARED_BENCHMARKS to the folder "
                             "that holds the benchmarks, or pass the benchmark folder itself)")
    pdfs = sorted((folder / "pdfs").glob("*.pdf"))
    if not pdfs:
        raise BenchmarkError(f"benchmark {name}: no PDFs under {folder / 'pdfs'}")
    rows = []
    for n, line in enumerate(qfile.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise BenchmarkError(f"{qfile}:{n}: invalid JSON ({e})") from None
    items = [_financebench_item(r) if "financebench_id" in r else _findoc_item(r, qfile, n)
             for n, r in enumerate(rows, 1)]
    stems = {p.stem for p in pdfs}
    split = {h: [_stem(d) for d in spec.get(h, [])] for h in ("tune", "check") if spec.get(h)}
    if split:
        listed = [d for ds in split.values() for d in ds]
        unknown = sorted(set(listed) - stems)
        if unknown:
            raise BenchmarkError(f"benchmark {name}: the split names documents that are not in {folder / 'pdfs'}: "
                                 + ", ".join(unknown))
        if len(listed) != len(set(listed)):
            raise BenchmarkError(f"benchmark {name}: a document is in both halves of the split")
        half_of = {d: h for h, ds in split.items() for d in ds}
        for item in items:
            halves = {half_of.get(d, "") for d in item.docs}
            if len(halves) != 1 or "" in halves:
                raise BenchmarkError(f"benchmark {name}: question {item.id} is about documents "
                                     f"{item.docs} that are not all in one half of the split")
            item.half = halves.pop()
    for item in items:
        missing = [d for d in item.docs if d not in stems]
        if missing:
            raise BenchmarkError(f"benchmark {name}: question {item.id} needs {missing}, not under {folder / 'pdfs'}")
    return Benchmark(name, folder, pdfs, items, split)


def _financebench_item(r: dict) -> BenchItem:
    pages = {(e["doc_name"], int(e["evidence_page_num"]) + 1) for e in r.get("evidence", [])}
    docs = list(dict.fromkeys([r["doc_name"]] + [e["doc_name"] for e in r.get("evidence", [])]))
    return BenchItem(r["financebench_id"], r["question"], r.get("answer", ""), pages, docs, r.get("question_type", ""),
                     evidence=[e.get("evidence_text", "") for e in r.get("evidence", []) if e.get("evidence_text")])


def _findoc_item(r: dict, qfile: Path, n: int) -> BenchItem:
    if not {"id", "question", "files", "pages"} <= set(r):
        raise BenchmarkError(f"{qfile}:{n}: a question needs id, question, files and pages")
    docs = [_stem(f) for f in r["files"]]
    if len(docs) != 1:   # pages are given per question, not per file: only one-report questions are graded
        raise BenchmarkError(f"{qfile}:{n}: question {r['id']} spans {len(docs)} reports; pages are ambiguous")
    pages = {(docs[0], int(p)) for p in r["pages"]}
    return BenchItem(r["id"], r["question"], r.get("ground_truth", ""), pages, docs, r.get("scene", ""))


# -- scoring ----------------------------------------------------------------------

def answer_chars(text: str) -> int:
    """Characters of an answer without its citation markers."""
    return len(_MARKER.sub("", text or "").strip())


def score_item(item: BenchItem, answer, passages: list[dict], stem_of: dict[str, str], seconds: float) -> dict:
    """One benchmark question's result. ``stem_of`` maps the index's doc ids to file stems."""
    cited = [(stem_of.get(c.doc_id, c.doc_id), c.page) for c in answer.citations]
    retrieved = [(stem_of.get(p.get("doc_id"), p.get("doc_id")), p.get("page")) for p in passages]
    page_cited = not answer.abstained and any(c in item.gold_pages for c in cited)
    page_retrieved = any(r in item.gold_pages for r in retrieved)
    right_doc = bool(retrieved) and retrieved[0][0] in item.docs
    figure = None if answer.abstained else states_figure(answer.text, item.answer, item.question)
    if figure is None and answer.abstained and states_figure("", item.answer, item.question) is not None:
        figure = False
    chars = answer_chars(answer.text) if not answer.abstained else 0
    if answer.abstained:
        failure = "abstained" + (" (gold page was retrieved)" if page_retrieved else "")
    elif page_cited:
        failure = "answer too long" if chars > MAX_ANSWER_CHARS else ""
    elif not right_doc:
        failure = "wrong document"
    elif not page_retrieved:
        failure = "retrieval missed the page"
    else:
        failure = "answerer cited another page"
    return {
        "id": item.id, "q": item.question, "gold": item.answer, "half": item.half, "kind": item.kind,
        "gold_pages": sorted(f"{d} p{p}" for d, p in item.gold_pages),
        "answer": answer.text, "abstained": answer.abstained,
        "cited": [f"{d} p{p}" for d, p in cited], "retrieved": [f"{d} p{p}" for d, p in retrieved],
        "gold_page_cited": page_cited, "gold_page_retrieved": page_retrieved, "right_document": right_doc,
        "figure_in_answer": figure, "chars": chars, "seconds": seconds, "failure": failure,
        "notices": list(answer.notices), "scope": getattr(answer, "scope", ""),
    }


@dataclass
class BenchResult:
    """One half of one benchmark for one system; ``metrics()`` keys are what the gate reads."""
    name: str
    rows: list[dict] = field(default_factory=list)

    def metrics(self) -> dict:
        rows = self.rows
        n = len(rows)
        answered = [r for r in rows if not r["abstained"]]
        with_fig = [r for r in rows if r["figure_in_answer"] is not None]
        chars = [r["chars"] for r in answered]
        lat = [r["seconds"] for r in rows]
        return {
            "items": n,
            "gold_page_cited": _ratio(sum(r["gold_page_cited"] for r in rows), n),
            "gold_page_retrieved": _ratio(sum(r["gold_page_retrieved"] for r in rows), n),
            "right_document": _ratio(sum(r["right_document"] for r in rows), n),
            "figure_in_answer": _ratio(sum(bool(r["figure_in_answer"]) for r in with_fig), len(with_fig)),
            "figure_items": len(with_fig),
            "abstained": _ratio(sum(r["abstained"] for r in rows), n),
            "short_answers": _ratio(sum(c <= MAX_ANSWER_CHARS for c in chars), len(chars)),
            "answer_chars_p50": percentile(chars, 50) if chars else None,
            "answer_chars_p95": percentile(chars, 95) if chars else None,
            "latency_p50_ms": 1000 * percentile(lat, 50),
            "latency_p95_ms": 1000 * percentile(lat, 95),
        }

    def failure_kinds(self) -> list[tuple[str, int, dict]]:
        """(kind, count, one example row), most common first."""
        kinds: dict[str, list[dict]] = {}
        for r in self.rows:
            if r["failure"]:
                kinds.setdefault(r["failure"].split(" (")[0], []).append(r)
        return sorted(((k, len(v), v[0]) for k, v in kinds.items()), key=lambda t: -t[1])


def _ratio(a, b):
    return round(a / b, 4) if b else None


METRICS = [
    ("gold_page_cited", "gold page cited"), ("gold_page_retrieved", "gold page retrieved (recall@k)"),
    ("right_document", "right document (top passage)"), ("figure_in_answer", "gold figure in answer"),
    ("abstained", "abstained"), ("short_answers", "answers ≤ 350 chars"),
    ("answer_chars_p50", "answer chars p50"), ("answer_chars_p95", "answer chars p95"),
    ("latency_p50_ms", "latency p50 (ms)"), ("latency_p95_ms", "latency p95 (ms)"),
]


def fmt(value, key: str) -> str:
    if value is None:
        return "–"
    if key.startswith(("latency", "answer_chars")):
        return f"{value:.0f}"
    return f"{100 * value:.1f}%"
