"""CI smoke check of the `rag` start-up benchmark (evals/bench_cli.py): one run of each command,
its section written into a Markdown report between its markers (and replaced, not repeated)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_cli_writes_its_section(tmp_path):
    md = tmp_path / "BENCH.md"
    md.write_text("# Benchmarks\n\nOther sections stay.\n", encoding="utf-8")
    for _ in range(2):
        p = subprocess.run([sys.executable, "-m", "evals.bench_cli", "--runs", "1", "--md", str(md)],
                           cwd=REPO, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-2000:]
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nOther sections stay.\n")
    assert text.count("<!-- bench_cli: begin -->") == 1 and text.count("## `rag` command start-up") == 1
    for command in ("ask (zh)", "ask (en)", "sources"):
        row = re.search(rf"\| `rag {re.escape(command)}` \| ([\d.]+) \|", text)
        assert row and 0 < float(row.group(1)) < 120, text
