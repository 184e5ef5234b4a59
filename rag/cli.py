"""The ``rag`` command. Exit codes: 0 success, 1 failures during ingest/eval, 2 usage errors."""
from __future__ import annotations

import argparse
import json
import sys

from .extras import MissingExtra, require
from .settings import SettingsError, using

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors already; keep its message short
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


# Flags that set a setting: argparse dest -> (dotted setting path, the flag as typed).
SETTING_FLAGS = {
    "index": ("store.index_dir", "--index"), "chroma_url": ("store.chroma_url", "--chroma-url"),
    "embedder": ("embedder.spec", "--embedder"), "reranker": ("retrieval.reranker", "--reranker"),
    "llm_base_url": ("llm.base_url", "--llm-base-url"), "llm_model": ("llm.model", "--llm-model"),
    "llm_api_key": ("llm.api_key", "--llm-api-key"), "llm_timeout": ("llm.timeout", "--llm-timeout"),
    "host": ("ui.host", "--host"), "port": ("ui.port", "--port"), "auth": ("ui.auth", "--auth"),
}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rag", description="Cited Q&A over corporate disclosures (Chinese/English). "
                                        "Every setting, where it comes from and its default: `rag config`.")
    p.add_argument("--settings", metavar="FILE",
                   help="settings file (TOML; env RAG_SETTINGS_FILE, default ./rag.toml when present)")
    p.add_argument("--set", action="append", default=[], metavar="SETTING=VALUE", dest="set_values",
                   help="set any setting, e.g. --set retrieval.top_k=6 (repeatable; names: `rag config`)")
    p.add_argument("--index", metavar="DIR", help="index directory (env RAG_INDEX, default .rag)")
    p.add_argument("--chroma-url", metavar="URL", help="use a Chroma server (env RAG_CHROMA_URL)")
    p.add_argument("--embedder", metavar="SPEC",
                   help="use (default) or sentence-transformers:NAME_OR_PATH (env RAG_EMBEDDER)")
    p.add_argument("--reranker", metavar="SPEC", help="sentence-transformers:NAME_OR_PATH cross-encoder (env RAG_RERANKER)")
    p.add_argument("--llm-base-url", metavar="URL",
                   help="OpenAI-compatible endpoint for LLM answers, e.g. http://localhost:11434/v1 (env RAG_LLM_BASE_URL)")
    p.add_argument("--llm-model", metavar="NAME", help="model name at that endpoint (env RAG_LLM_MODEL)")
    p.add_argument("--llm-api-key", metavar="KEY", help="API key for the endpoint (env RAG_LLM_API_KEY)")
    p.add_argument("--llm-timeout", metavar="SECONDS", type=float, help="LLM request timeout (env RAG_LLM_TIMEOUT, default 60)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("ingest", help="add or update documents (files, folders, manifest .toml files)")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--quiet", action="store_true", help="print failures only")

    s = sub.add_parser("ask", help="answer a question with citations")
    s.add_argument("question")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("-k", type=int, help="passages to consider (default 8, env RAG_TOP_K)")
    s.add_argument("--doc", action="append", metavar="DOC_ID", help="only search this document (repeatable)")
    s.add_argument("--company", action="append", metavar="NAME",
                   help="only this issuer's documents: name, alias or ticker (repeatable)")
    s.add_argument("--kind", action="append", metavar="KIND",
                   help="only this kind: earnings release, annual report, interim report, 10-K, ... (repeatable)")
    s.add_argument("--period", action="append", metavar="PERIOD",
                   help="only this fiscal period: 2023Q1, FY2025, FY2025H1, 'six months ended 2024-09-30' (repeatable)")
    s.add_argument("--no-scope", action="store_true",
                   help="search the whole index even if the question names a company, period or kind")

    s = sub.add_parser("sources", help="list indexed documents and their metadata")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("tag", help="correct a document's metadata, e.g. rag tag DOC issuer='Acme Corporation' period=2023Q1")
    s.add_argument("doc_id")
    s.add_argument("changes", nargs="+", metavar="KEY=VALUE",
                   help="title, kind, issuer, tickers, aliases (comma-separated), language, date, period, period_end")

    s = sub.add_parser("remove", help="delete a document from the index")
    s.add_argument("doc_id")

    s = sub.add_parser("eval", help="run eval suites and external benchmarks, ours beside the baseline")
    s.add_argument("suites", nargs="+", metavar="SUITE",
                   help="suite .jsonl files, benchmark folders (../shared/benchmarks/NAME) or evals/external.toml")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument("--report", metavar="PATH", help="write a Markdown (.md) or JSON (.json) report")
    s.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline")
    s.add_argument("--gate", metavar="THRESHOLDS", help="fail (exit 1) below the thresholds in this TOML file")
    s.add_argument("--work", metavar="DIR",
                   help="where eval indexes are built and cached (default: .eval-cache/ in the checkout)")

    s = sub.add_parser("ui", help="start the Gradio chat app")
    s.add_argument("--host", help="address to listen on (env RAG_UI_HOST, default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (env RAG_UI_PORT, default 7860)")
    s.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (env RAG_UI_AUTH)")

    s = sub.add_parser("config", help="print every setting, its value and where it came from")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def settings_from_args(args):
    """The settings this command runs with: settings file, environment, then its flags."""
    from .settings import FIELDS, load

    flags = {path: (getattr(args, dest), f"flag {flag}") for dest, (path, flag) in SETTING_FLAGS.items()
             if getattr(args, dest, None) is not None}
    for item in getattr(args, "set_values", None) or []:
        path, sep, value = item.partition("=")
        path = path.strip()
        if not sep or path not in FIELDS:
            raise SettingsError(f"--set {item!r}: expected SETTING=VALUE with a setting `rag config` lists, "
                                "e.g. --set retrieval.top_k=6")
        flags[path] = (value, "flag --set")
    return load(getattr(args, "settings", None), flags=flags)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as e:
        print(f"rag: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with using(settings):   # `rag eval`, `rag ui` and everything they open see the flags too
            return _run(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one clear line instead of a traceback; RAG_DEBUG=1 shows it
        if settings.debug:
            raise
        from .embeddings import EmbedderError
        from .vectors import VectorStoreError

        usage = (EmbedderError, VectorStoreError, MissingExtra, SettingsError)
        print(f"rag: error: {e}", file=sys.stderr)
        return EXIT_USAGE if isinstance(e, usage) else EXIT_FAILURES


def _assistant(settings):
    from .assistant import Assistant

    return Assistant(settings=settings)


class _catalog_only:
    """What `rag sources` needs of an index: its catalog (no embedder, vector store or LangChain)."""

    def __init__(self, settings):
        from .catalog import Catalog

        self.index_dir = settings.store.index_dir
        self.sources = Catalog(self.index_dir / "catalog.sqlite").documents


def _missing_index(args, settings) -> str | None:
    """Why a command that reads an index cannot run here; None when it can. Only `ingest` makes
    an index: opening one (Assistant) would create an empty one wherever it is pointed."""
    if args.command == "ingest":
        return None
    index = settings.store.index_dir
    if (index / "catalog.sqlite").is_file():
        return None
    origin = settings.origin("store.index_dir")
    where = (" (the default; choose another with --index DIR or RAG_INDEX)" if origin == "default"
             else "" if origin.startswith("flag") else f" ({origin})")
    return (f"there is no index at {index}{where}; make one with `rag --index {index} ingest PATH...` "
            "(files, folders or a manifest .toml)")


def _warn_llm_without_model(settings) -> None:
    if settings.llm.base_url and not settings.llm.model:
        print("rag: warning: an LLM endpoint is set but no model (--llm-model / RAG_LLM_MODEL); "
              "answers stay extractive", file=sys.stderr)


def _print_config(settings, as_json: bool) -> int:
    """`rag config`: every setting with its value (secrets masked) and where it came from."""
    from .settings import SETTINGS_FILE, SETTINGS_FILE_ENV, describe

    rows = describe(settings)
    file = str(settings.file) if settings.file else None
    if as_json:
        print(json.dumps({"settings_file": file, "settings": rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"settings file: {file}" if file else
          f"settings file: none ({SETTINGS_FILE} in the working directory, --settings FILE or {SETTINGS_FILE_ENV})")
    table = [("setting", "value", "from")] + [(r["setting"], "-" if r["value"] is None else str(r["value"]), r["origin"])
                                             for r in rows]
    width = max(len(name) for name, _, _ in table)
    vwidth = min(48, max(len(value) for _, value, _ in table))
    for name, value, origin in table:
        print(f"{name:<{width}}  {value:<{vwidth}}  {origin}")
    return EXIT_OK


def _stream_answer(a, args):
    """Print the LLM's tokens as they come; return the final Answer and what was printed."""
    shown, ans = [], None
    for item in a.ask_stream(args.question, k=args.k, doc_ids=args.doc, filters=_filters(args),
                             scope=not args.no_scope):
        if isinstance(item, str):
            shown.append(item)
            print(item, end="", flush=True)
        else:
            ans = item
    shown = "".join(shown)
    if shown:
        print()
    for note in ans.notices:
        print(f"rag: note: {note}", file=sys.stderr)
    return ans, shown


def _with_quote_boxes(a, ans) -> dict:
    """The answer as JSON; each PDF citation also says where its quote is on the page
    (``page_size`` and ``boxes`` [x0, top, x1, bottom] in points from the top left), so any
    viewer can mark it on its own rendering."""
    out = ans.to_dict()
    for c, d in zip(ans.citations, out["citations"]):
        try:
            boxes = a.quote_boxes(c)
        except Exception as e:  # the answer stands without them: say why they are missing
            print(f"rag: note: no quote boxes for [{c.n}]: {e}", file=sys.stderr)
            continue
        if boxes is not None:
            d.update(boxes.to_dict())
    return out


def _filters(args) -> dict:
    return {k: v for k, v in (("company", args.company), ("kind", args.kind), ("period", args.period)) if v}


def _run(args, settings) -> int:
    if args.command == "config":
        return _print_config(settings, args.json)
    _warn_llm_without_model(settings)
    if args.command == "eval":
        from evals.runner import main as eval_main

        return eval_main(args)
    if args.command == "ui":
        require("ui", "rag ui")
        from ui.app import launch

        return launch(args, settings)

    missing = _missing_index(args, settings)
    if missing:
        print(f"rag: error: {missing}", file=sys.stderr)
        return EXIT_USAGE
    a = _catalog_only(settings) if args.command == "sources" else _assistant(settings)
    if args.command == "ingest":
        def progress(msg, frac):
            if not args.quiet and sys.stderr.isatty():
                print(f"\r[{frac:4.0%}] {msg[:60]:<60}", end="", file=sys.stderr, flush=True)

        report = a.ingest(args.paths, progress=progress)
        if sys.stderr.isatty() and not args.quiet:
            print("\r" + " " * 70 + "\r", end="", file=sys.stderr)
        for r in report:
            if r.status == "failed":
                print(r.line(), file=sys.stderr)
            elif not args.quiet:
                print(r.line())
        counts = {s: len(report.by_status(s)) for s in ("added", "replaced", "unchanged", "failed")}
        if not args.quiet:
            print(", ".join(f"{n} {s}" for s, n in counts.items()) + f"; index: {a.index_dir}")
        return EXIT_FAILURES if report.failed else EXIT_OK

    if args.command == "ask":
        if not args.question.strip():
            print("rag: error: the question is empty", file=sys.stderr)
            return EXIT_USAGE
        if not a.sources():
            print(f"rag: error: the index {a.index_dir} is empty; run `rag ingest PATH...` first", file=sys.stderr)
            return EXIT_USAGE
        if args.json or a.llm is None:
            ans, shown = a.ask(args.question, k=args.k, doc_ids=args.doc, filters=_filters(args),
                               scope=not args.no_scope), None
        else:
            ans, shown = _stream_answer(a, args)
        if args.json:
            print(json.dumps(_with_quote_boxes(a, ans), ensure_ascii=False, indent=2))
        else:
            if shown is None:
                print(ans.text)
            elif ans.text.strip() != shown.strip():
                if ans.answerer == "llm":       # same answer, failed sentences now marked
                    for s in ans.sentences:
                        if not s.get("verified", True):
                            print(f"  ⚠ unverified: “{s['text']}” ({'; '.join(s['problems'])})")
                else:                            # fallback: the streamed text is replaced
                    if shown:
                        print("---")
                    print(ans.text)
            for c in ans.citations:
                page = f", p. {c.page}" if c.page else ""
                print(f"  [{c.n}] {c.title} ({c.doc_id}{page}): “{c.quote}”")
            if ans.scope:
                print(f"  scope: {ans.scope}")
        return EXIT_OK

    if args.command == "sources":
        docs = a.sources()
        if args.json:
            print(json.dumps(docs, ensure_ascii=False, indent=2))
        elif not docs:
            print(f"(no documents in {a.index_dir})")
        else:
            guessed = False
            for d in docs:
                m = d["meta"]
                inferred = m.get("inferred") or {}
                guessed = guessed or bool(inferred)

                def v(key, width):
                    text = m.get(key) or ""
                    text = ", ".join(text) if isinstance(text, list) else str(text)
                    mark = "*" if key in inferred else ""
                    text = text if len(text) + len(mark) <= width else text[: width - 1 - len(mark)] + "…"
                    return f"{text + mark:<{width}}"

                print(f"{d['doc_id']:<40} {v('issuer', 28)} {v('kind', 17)} {v('period', 18)} {v('date', 11)} "
                      f"{d['pages']:>4}p {d['chunks']:>5} chunks  {m.get('title', '')}")
            if guessed:
                print("* inferred from the document: see `rag sources --json` (evidence under \"inferred\"); "
                      "correct with `rag tag DOC key=value`")
        return EXIT_OK

    if args.command == "tag":
        changes = {}
        for item in args.changes:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                print(f"rag: error: expected KEY=VALUE, got {item!r}", file=sys.stderr)
                return EXIT_USAGE
            changes[key.strip()] = value
        try:
            doc = a.tag(args.doc_id, **changes)
        except KeyError as e:
            print(f"rag: error: {e.args[0]}", file=sys.stderr)
            return EXIT_USAGE
        except ValueError as e:
            print(f"rag: error: {e}", file=sys.stderr)
            return EXIT_USAGE
        m = doc["meta"]
        for key in ("title", "issuer", "tickers", "aliases", "kind", "period", "period_end", "date", "language"):
            value = m.get(key)
            value = ", ".join(value) if isinstance(value, list) else (value or "")
            note = " (inferred)" if key in (m.get("inferred") or {}) else (" (tagged)" if key in (m.get("tagged") or []) else "")
            print(f"{key:<11} {value}{note}")
        return EXIT_OK

    if args.command == "remove":
        if a.remove(args.doc_id):
            print(f"removed {args.doc_id}")
            return EXIT_OK
        print(f"rag: error: no document {args.doc_id!r} in {a.index_dir} (see `rag sources`)", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
