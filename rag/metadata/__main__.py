"""``python -m rag.metadata FILE... [--json]``: print what would be inferred (no manifest involved)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import FIELDS, infer_metadata


def main(argv: list[str] | None = None) -> int:
    from ingest import load_pages

    args = argv if argv is not None else sys.argv[1:]
    as_json = "--json" in args
    out = {}
    for f in (a for a in args if a != "--json"):
        p = Path(f)
        if p.is_dir():
            continue
        try:
            pages = load_pages(p)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{p.name}: cannot load: {e}", file=sys.stderr)
            continue
        inf = infer_metadata(p, pages)
        out[p.name] = {"fields": inf.fields, "evidence": inf.evidence}
        if not as_json:
            print(p.name)
            for k in FIELDS:
                if k in inf.fields:
                    v = inf.fields[k]
                    v = ", ".join(v) if isinstance(v, list) else v
                    print(f"  {k:<10} {v}    [{inf.evidence.get(k, '')}]")
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
