"""Corpus manifests: TOML files that describe documents and where they live.

``corpus/manifest.toml`` describes the bundled corpus; ``evals/disclosures.toml``
describes the shared disclosures by path. A manifest entry's metadata (title,
kind, issuer, period, ...) overrides whatever the ingest could infer.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError

MANIFEST_NAMES = ("manifest.toml",)
DOC_KINDS = (
    "news article", "earnings release", "annual report", "interim report", "quarterly report",
    "10-K", "10-Q", "8-K", "20-F", "6-K", "filing", "document",
)


@dataclass
class DocumentMeta:
    id: str
    title: str = ""
    kind: str = ""
    issuer: str = ""
    tickers: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    language: str = ""
    date: str = ""
    period: str = ""
    period_end: str = ""
    sha256: str = ""
    page_separator: str | None = None
    source: str = ""
    url: str = ""
    file: str = ""

    def as_metadata(self) -> dict:
        """The fields stored with a document (everything except file-location details)."""
        return {
            "title": self.title, "kind": self.kind, "issuer": self.issuer,
            "tickers": list(self.tickers), "aliases": list(self.aliases),
            "language": self.language, "date": self.date, "period": self.period,
            "period_end": self.period_end, "url": self.url, "provenance": self.source,
        }


@dataclass
class Manifest:
    path: Path
    root: Path
    documents: list[DocumentMeta]

    def path_of(self, doc: DocumentMeta) -> Path:
        return (self.root / doc.file).resolve()

    def by_path(self) -> dict[Path, DocumentMeta]:
        return {self.path_of(d): d for d in self.documents}


def load_manifest(path: str | Path, shared_corpus: str | Path | None = None) -> Manifest:
    """``shared_corpus``: where a manifest whose root is ../shared/corpus finds it (None: the
    ingest.shared_corpus setting, RAG_SHARED_CORPUS; unset: the root as written)."""
    path = Path(path)
    if shared_corpus is None:
        from rag.settings import current

        shared_corpus = current().ingest.shared_corpus
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError(path, "manifest not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise IngestError(path, f"invalid manifest TOML: {e}") from None
    root_value = data.get("root", ".")
    if "shared/corpus" in str(root_value) and shared_corpus:
        root = Path(shared_corpus)
    else:
        root = (path.parent / root_value)
    docs = []
    seen = set()
    for i, entry in enumerate(data.get("document", [])):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("file"):
            raise IngestError(path, f"document entry #{i + 1} needs at least `id` and `file`")
        if entry["id"] in seen:
            raise IngestError(path, f"duplicate document id {entry['id']!r}")
        seen.add(entry["id"])
        known = {f for f in DocumentMeta.__dataclass_fields__}
        unknown = set(entry) - known
        if unknown:
            raise IngestError(path, f"document {entry['id']!r}: unknown keys {sorted(unknown)}")
        docs.append(DocumentMeta(**entry))
    return Manifest(path=path.resolve(), root=root.resolve(), documents=docs)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_manifest_files(manifest: Manifest) -> list[str]:
    """Problems with the files a manifest names (missing, hash differs); empty when all is well."""
    problems = []
    for doc in manifest.documents:
        p = manifest.path_of(doc)
        if not p.exists():
            problems.append(f"{p}: missing (document {doc.id} of {manifest.path})")
        elif doc.sha256 and sha256_of(p) != doc.sha256:
            problems.append(f"{p}: sha256 differs from {manifest.path} (document {doc.id})")
    return problems
