"""Fixtures for the metadata tests: the truth table and the shared documents' first pages (cached)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# where the shared documents are (by default ../shared next to the checkout)
SHARED_CORPUS = os.environ.get("RAG_SHARED_CORPUS") or ""
SHARED_BENCHMARKS = os.environ.get("RAG_SHARED_BENCHMARKS") or ""
FIRST_PDF_PAGES = 12      # covers, 公司信息 and 释义 are within the first pages of every document here

_pages: dict[Path, list] = {}


@pytest.fixture(scope="session")
def truth() -> dict[str, dict]:
    from evals.metadata_accuracy import load_truth

    return load_truth(corpus_root=SHARED_CORPUS or None, benchmarks_root=SHARED_BENCHMARKS or None)


def first_pages(path: Path) -> list:
    """The pages inference reads (a PDF's first pages; a text file whole), extracted once per session."""
    from ingest import load_pages

    if path not in _pages:
        _pages[path] = load_pages(path, max_pages=FIRST_PDF_PAGES)
    return _pages[path]


@pytest.fixture(scope="session")
def shared_rows(truth) -> list[dict]:
    """Catalog-like rows with metadata inferred from each shared document alone (no manifest)."""
    from rag.metadata import infer_metadata

    missing = [f"{name} (looked for {t['path']})" for name, t in truth.items() if not t["path"].is_file()]
    if len(missing) == len(truth):
        pytest.skip("none of the shared documents is here (../shared absent; RAG_SHARED_CORPUS / "
                    "RAG_SHARED_BENCHMARKS point at the corpus and benchmarks folders): " + missing[0])
    if missing:   # measured over the documents that are here; say which are not
        import warnings

        warnings.warn(f"{len(missing)} shared document(s) not found, left out of the metadata accuracy: "
                      + "; ".join(missing), stacklevel=2)
    rows = []
    for name, t in truth.items():
        if t["path"].is_file():
            inf = infer_metadata(t["path"], first_pages(t["path"]))
            rows.append({"doc_id": Path(name).stem, "source": str(t["path"]), "meta": inf.fields,
                         "evidence": inf.evidence})
    return rows
