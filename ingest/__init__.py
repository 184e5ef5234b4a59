"""Turning files into cleaned, page-numbered text and citation-ready chunks.

load (loaders) -> clean (cleaning) -> split sentences (sentences) -> chunk (chunking).
Document-level metadata comes from a manifest (manifest) when one describes the file.
"""
from .chunking import Chunk, chunk_pages
from .errors import IngestError
from .loaders import SUPPORTED_SUFFIXES, Page, load_pages
from .manifest import DocumentMeta, Manifest, load_manifest
from .sentences import split_sentences

__all__ = [
    "Chunk", "DocumentMeta", "IngestError", "Manifest", "Page", "SUPPORTED_SUFFIXES",
    "chunk_pages", "load_manifest", "load_pages", "split_sentences",
]
