"""Scoping on vs off, in one run: ``python -m evals.scoping_eval [SUITE...]``.

Answers each suite (default: the multi-company suites ``evals/suites/scoped.*``)
over ONE index of all shared disclosures plus the bundled corpus, twice per
question: ``Assistant.ask(q)`` (automatic scoping and one issuer per answer) and
``Assistant.ask(q, scope=False)`` (the whole index). Scoring, tables and corpus
checks are ``evals.runner``'s, so the numbers are comparable with ``rag eval``.

``--metadata inferred`` builds the index from a manifest that keeps only each
document's id and file, so scoping runs on metadata the ingest inferred from the
documents themselves (``--metadata both`` runs both indexes).

Options: ``--work DIR`` (where indexes are built; reused when present),
``--report PATH`` (Markdown, or JSON when it ends in .json), ``--json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from ingest.manifest import load_manifest

from .runner import (DISCLOSURES, REPO, EvalError, SystemResult, build_assistant, check_corpus, corpus_for,
                     score_item, to_markdown)
from .scoring import load_suite

DEFAULT_SUITES = [REPO / "evals" / "suites" / "scoped.dev.jsonl", REPO / "evals" / "suites" / "scoped.test.jsonl"]
BUNDLED_MANIFEST = REPO / "corpus" / "manifest.toml"


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def ids_only_manifest(work: Path) -> Path:
    """A manifest naming every document of the eval corpus by id and file only (no metadata)."""
    lines = ["# ids and files only: every other field is inferred by the ingest", ""]
    for mp in (BUNDLED_MANIFEST, DISCLOSURES):
        m = load_manifest(mp)
        for d in m.documents:
            lines += ["[[document]]", f"id = {_toml_str(d.id)}", f"file = {_toml_str(str(m.path_of(d)))}"]
            if d.page_separator:
                lines.append(f"page_separator = {_toml_str(d.page_separator)}")
            if d.sha256:
                lines.append(f"sha256 = {_toml_str(d.sha256)}")
            lines.append("")
    path = work / "ids-only" / "manifest.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def build_index(mode: str, paths: list[Path], work: Path, log):
    ingest = [ids_only_manifest(work)] if mode == "inferred" else paths
    return build_assistant(work / f"scoping-{mode}", ingest, log, f"[scoping-eval] {mode} metadata")


def run(suites: list[Path], work: Path, modes: list[str], log=print) -> dict:
    """{f"{suite} [{mode} metadata]": {"ours": scoping on, "baseline": scoping off, "scopes": [...]}}."""
    results = {}
    assistants = {}
    for sp in suites:
        items = load_suite(sp)
        paths = corpus_for(sp)
        check_corpus(paths)
        for mode in modes:
            if mode not in assistants:
                assistants[mode] = build_index(mode, paths, work, log)
            a = assistants[mode]
            on, off = SystemResult("scoping on"), SystemResult("scoping off")
            scopes = []
            for item in items:
                t0 = time.perf_counter()
                ans = a.ask(item["q"])
                on.rows.append(score_item(item, ans, ans.passages, a.page_text, time.perf_counter() - t0))
                on.rows[-1]["scope"] = ans.scope
                scopes.append({"id": item["id"], "q": item["q"], "doc": item.get("doc"), "scope": ans.scope,
                               "cited": sorted({c.doc_id for c in ans.citations})})
                t0 = time.perf_counter()
                ans = a.ask(item["q"], scope=False)
                off.rows.append(score_item(item, ans, ans.passages, a.page_text, time.perf_counter() - t0))
                off.rows[-1]["cited_docs"] = sorted({c.doc_id for c in ans.citations})
            results[f"{sp.name} [{mode} metadata]"] = {"ours": on, "baseline": off, "scopes": scopes}
            m_on, m_off = on.metrics(), off.metrics()
            log(f"[scoping-eval] {sp.name} ({mode}): pass {m_off['passed']}/{m_off['items']} -> "
                f"{m_on['passed']}/{m_on['items']} with scoping")
    return results


SUMMARY = [("accuracy", "overall pass rate"), ("answer_accuracy", "answer accuracy"),
           ("abstention_recall", "abstention recall"), ("citation_accuracy", "citation accuracy"),
           ("retrieval_recall", "retrieval recall@k")]


def _pct(v):
    return "–" if v is None else f"{100 * v:.1f}%"


def mixed_issuer_answers(rows: list[dict], docs_issuer: dict) -> int:
    """Answers whose citations name documents of more than one issuer."""
    n = 0
    for r in rows:
        issuers = {docs_issuer.get(c["doc_id"], c["doc_id"]) for c in r["citations"]}
        if len(issuers) > 1:
            n += 1
    return n


def summary_markdown(results: dict, docs_issuer: dict) -> str:
    out = ["| suite | metric | scoping off | scoping on | gain |", "|---|---|---|---|---|"]
    for name, r in results.items():
        on, off = r["ours"].metrics(), r["baseline"].metrics()
        for key, label in SUMMARY:
            a, b = off[key], on[key]
            gain = f"{100 * (b - a):+.1f} pts" if a is not None and b is not None else "–"
            out.append(f"| {name} | {label} | {_pct(a)} | {_pct(b)} | {gain} |")
        out.append(f"| {name} | items passed | {off['passed']}/{off['items']} | {on['passed']}/{on['items']} | "
                   f"{on['passed'] - off['passed']:+d} |")
        out.append(f"| {name} | answers citing >1 issuer | {mixed_issuer_answers(r['baseline'].rows, docs_issuer)} | "
                   f"{mixed_issuer_answers(r['ours'].rows, docs_issuer)} | |")
    return "\n".join(out)


def changes_markdown(results: dict) -> str:
    out = []
    for name, r in results.items():
        fixed, broken = [], []
        for a, b, s in zip(r["baseline"].rows, r["ours"].rows, r["scopes"]):
            if b["passed"] and not a["passed"]:
                fixed.append((b, s))
            elif a["passed"] and not b["passed"]:
                broken.append((b, s))
        out.append(f"#### {name}: {len(fixed)} fixed by scoping, {len(broken)} broken\n")
        for label, rows in (("fixed", fixed), ("broken", broken)):
            for row, s in rows:
                out.append(f"- {label} `{row['id']}` {row['q']} — scope: {s['scope']}")
        out.append("")
    return "\n".join(out)


def scopes_markdown(results: dict) -> str:
    out = ["| suite | id | expected doc | scope used | cited |", "|---|---|---|---|---|"]
    for name, r in results.items():
        for s in r["scopes"]:
            out.append(f"| {name.split(' ')[0]} | {s['id']} | {s['doc'] or '(refuse)'} | {s['scope']} | "
                       f"{', '.join(s['cited']) or '—'} |")
    return "\n".join(out)


def to_markdown_report(results: dict, docs_issuer: dict) -> str:
    tables = to_markdown({k: {"ours": v["ours"], "baseline": v["baseline"]} for k, v in results.items()})
    tables = tables.replace("| metric | ours | baseline | ours/baseline |", "| metric | scoping on | scoping off | on/off |")
    tables = tables.replace("Failing items (ours)", "Failing items (scoping on)")
    return "\n\n".join([
        "## Scoping: on vs off (same index, same run)\n", summary_markdown(results, docs_issuer),
        "## Items changed by scoping\n", changes_markdown(results),
        "## Per-suite tables (runner metrics)\n", tables,
        "## Scope used per question\n", scopes_markdown(results),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.scoping_eval", description=__doc__.split("\n\n")[0])
    p.add_argument("suites", nargs="*", help="JSONL suites (default: evals/suites/scoped.dev/test.jsonl)")
    p.add_argument("--work", help="where indexes are built (default: a temp dir)")
    p.add_argument("--metadata", choices=["manifest", "inferred", "both"], default="manifest",
                   help="index metadata: from the manifests, inferred from the documents, or both")
    p.add_argument("--report", help="write the report (.md, or .json)")
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = p.parse_args(argv)
    suites = [Path(s) for s in args.suites] or DEFAULT_SUITES
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="rag-scoping-eval-"))
    modes = ["manifest", "inferred"] if args.metadata == "both" else [args.metadata]
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    try:
        results = run(suites, work, modes, log=log)
    except (EvalError, ValueError, FileNotFoundError) as e:
        print(f"scoping eval: error: {e}", file=sys.stderr)
        return 1
    from rag.scoping import issuer_key

    docs_issuer = {}
    for mode in modes:
        from rag import Assistant

        a = Assistant(index_dir=work / f"scoping-{mode}")
        docs_issuer.update({d["doc_id"]: issuer_key(d["meta"].get("issuer", ""), d["doc_id"]) for d in a.sources()})
        a.close()
    data = {name: {"scoping_on": {"metrics": r["ours"].metrics(), "items": r["ours"].rows},
                   "scoping_off": {"metrics": r["baseline"].metrics(), "items": r["baseline"].rows},
                   "scopes": r["scopes"]} for name, r in results.items()}
    md = to_markdown_report(results, docs_issuer)
    print(json.dumps(data, ensure_ascii=False, indent=1) if args.json else md)
    if args.report:
        rp = Path(args.report)
        rp.parent.mkdir(parents=True, exist_ok=True)
        rp.write_text(json.dumps(data, ensure_ascii=False, indent=1) if rp.suffix == ".json" else md, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
