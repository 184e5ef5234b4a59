"""Helpers for the integration tests: a PDF builder, a test embedder, index inspection, the CLI."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from rag.embeddings.base import Embedder

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
ARTICLE_ID = "article-alibaba-ai-rally"
ARTICLE_TITLE = "阿里巴巴加码AI投入、ADR大涨（新闻评论）"
ARTICLE_FILE_NAME = "article-alibaba-ai-rally.zh.txt"

PDF_HEADER = "Northwind Industrial Group - Annual Review 2023"
PDF_PAGES = [
    "Northwind Industrial Group reorganised its sales teams across Europe during the year. "
    "Management expects steady demand for industrial equipment.",
    "The Zephyr plant in Lyon produced 4,200 turbines in 2023. "
    "The plant employs 800 people and runs three shifts.",
    "Outlook. The board approved a dividend of 1.20 euros per share. "
    "Northwind plans to invest in automation at its Spanish sites.",
]


def build_pdf(path: Path, pages: list[str] = PDF_PAGES, header: str | None = PDF_HEADER) -> Path:
    """A real multi-page PDF (core font, Latin-1 text), one string per page, optional running header."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if header:
            pdf.multi_cell(0, 8, header)
            pdf.ln(4)
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


class HashEmbedder(Embedder):
    """Deterministic hashing vectors. A test double, used only to build an index with another embedder id."""

    ID = "test-hash-embedder-v1"

    @property
    def id(self) -> str:
        return self.ID

    @property
    def dimension(self) -> int:
        return 64

    def _vector(self, text: str) -> list[float]:
        v = np.zeros(self.dimension, dtype=np.float32)
        for tok in re.findall(r"[a-z0-9]+|[\u3400-\u9fff]", text.lower()):
            h = hashlib.md5(tok.encode("utf-8")).digest()
            v[h[0] % self.dimension] += 1.0 if h[1] & 1 else -1.0
        if not v.any():
            v[0] = 1.0
        return (v / np.linalg.norm(v)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


# -- looking inside an index ----------------------------------------------------------

def catalog_chunks(assistant) -> list[dict]:
    conn = assistant.store.catalog._conn()
    return [dict(r) for r in conn.execute("SELECT chunk_id, doc_id, page, start, end, text FROM chunks")]


def vector_entries(assistant) -> dict[str, dict]:
    """chunk id -> metadata of every vector in the Chroma collection."""
    got = assistant.store.vectors._col.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"]))


def assert_consistent(assistant) -> None:
    """Catalog and Chroma hold exactly the same chunks, once each, for the documents the catalog lists."""
    chunks = catalog_chunks(assistant)
    vectors = vector_entries(assistant)
    assert assistant.store.catalog.count_chunks() == len(chunks) == assistant.store.vectors.count() == len(vectors)
    assert {c["chunk_id"] for c in chunks} == set(vectors)
    positions = [(c["doc_id"], c["page"], c["start"], c["end"]) for c in chunks]
    assert len(positions) == len(set(positions)), "duplicate chunks in the catalog"
    docs = {d["doc_id"]: d for d in assistant.sources()}
    assert {c["doc_id"] for c in chunks} == set(docs)
    for doc_id, d in docs.items():
        assert d["chunks"] == sum(1 for c in chunks if c["doc_id"] == doc_id)
        assert {m["version"] for m in vectors.values() if m["doc_id"] == doc_id} == {d["version"]}


def check_citation_verbatim(assistant, citation) -> str:
    """The quote is exactly the stored page text at [start:end]; returns that page text."""
    page_text = assistant.page_text(citation.doc_id, citation.page)
    assert page_text is not None, f"no stored page {citation.page} for {citation.doc_id}"
    assert citation.quote, "empty quote"
    assert citation.quote in page_text
    assert page_text[citation.start:citation.end] == citation.quote
    return page_text


# -- the command line ---------------------------------------------------------------

def rag_command() -> list[str]:
    script = Path(sys.executable).with_name("rag")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rag.cli"]


def run_rag(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(rag_command() + [str(a) for a in args], cwd=cwd or REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)
