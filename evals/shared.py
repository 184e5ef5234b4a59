"""Where the shared data beside the checkout lives (never committed to this repository).

``../shared/corpus`` holds real disclosures for the project's own suites and the
benchmark; ``../shared/benchmarks`` holds external development benchmarks. Both
can be moved with environment variables, read when asked (not at import), so a
test that strips ``RAG_*`` variables or a subprocess that inherits them sees the
same place.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_corpus() -> Path:
    """``RAG_SHARED_CORPUS``, else ``../shared/corpus`` beside the checkout."""
    return Path(os.environ.get("RAG_SHARED_CORPUS") or REPO.parent / "shared" / "corpus")


def shared_benchmarks() -> Path:
    """``RAG_SHARED_BENCHMARKS``, else ``../shared/benchmarks`` beside the checkout."""
    return Path(os.environ.get("RAG_SHARED_BENCHMARKS") or REPO.parent / "shared" / "benchmarks")
