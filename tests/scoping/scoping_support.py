"""Helpers for the scoping tests: where the shared disclosures are (tests skip when absent), cached pages."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# read before the repo-wide fixture clears RAG_* variables
SHARED = Path(os.environ.get("RAG_SHARED_CORPUS") or (REPO.parent / "shared" / "corpus"))
MANIFESTS = [REPO / "corpus" / "manifest.toml", REPO / "evals" / "disclosures.toml"]
SCOPED_SUITES = [REPO / "evals" / "suites" / "scoped.dev.jsonl", REPO / "evals" / "suites" / "scoped.test.jsonl"]

_pages_cache: dict = {}


def shared_file(name: str) -> Path:
    p = SHARED / name
    if not p.is_file():
        pytest.skip(f"shared corpus file {name} not found under {SHARED} (set RAG_SHARED_CORPUS)")
    return p


def load(name: str):
    """Pages of a shared file as ingest loads it without a manifest (cached for the session)."""
    from ingest import load_pages

    if name not in _pages_cache:
        _pages_cache[name] = load_pages(shared_file(name))
    return _pages_cache[name]


def manifest_docs() -> list[dict]:
    """The eval corpus's documents as the catalog would hold them, metadata from the manifests."""
    from ingest.manifest import load_manifest

    docs = []
    for mp in MANIFESTS:
        for d in load_manifest(mp).documents:
            docs.append({"doc_id": d.id, "version": "v", "meta": d.as_metadata()})
    return docs
