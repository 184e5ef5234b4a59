"""The pipeline a user would otherwise build from the LangChain tutorial.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), the same
embedder, Chroma similarity search top-4 (via langchain-chroma), and the same
default answerer on top. Text extraction is ours, so the comparison isolates
chunking and retrieval.
"""
from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document

from ingest import load_pages
from ingest.manifest import DocumentMeta
from rag.answering import ExtractiveAnswerer
from rag.indexing import expand_paths, slug
from rag.types import Answer


class _Pages:
    """The two catalog look-ups the answerer needs, from memory."""

    def __init__(self):
        self.docs: dict[str, dict] = {}
        self.pages: dict[tuple[str, int], str] = {}

    def document(self, doc_id):
        return self.docs.get(doc_id)

    def page_text(self, doc_id, page):
        return self.pages.get((doc_id, page or 0))


class BaselinePipeline:
    def __init__(self, embedder, persist_dir: Path, k: int = 4):
        import chromadb
        from chromadb.config import Settings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.embedder = embedder
        self.k = k
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        client = chromadb.PersistentClient(path=str(persist_dir), settings=Settings(anonymized_telemetry=False))
        self.db = Chroma(collection_name="baseline", embedding_function=embedder, client=client,
                         collection_metadata={"hnsw:space": "cosine"})
        self.catalog = _Pages()
        self.answerer = ExtractiveAnswerer(embedder=embedder, catalog=self.catalog)

    def ingest(self, paths) -> int:
        files, _ = expand_paths(paths)
        n = 0
        for path, meta in files:
            meta = meta or DocumentMeta(id=slug(Path(path).stem))
            pages = load_pages(path, meta.page_separator)
            self.catalog.docs[meta.id] = {"source": str(path), "meta": {"title": meta.title or meta.id, "kind": meta.kind, "date": meta.date}}
            docs = []
            for p in pages:
                self.catalog.pages[(meta.id, p.number or 0)] = p.text
                for d in self.splitter.create_documents([p.text], metadatas=[{"doc_id": meta.id, "page": p.number or 0}]):
                    start = d.metadata.pop("start_index")
                    d.metadata.update(start=start, end=start + len(d.page_content))
                    docs.append(d)
            if docs:
                self.db.add_documents(docs)
                n += len(docs)
        return n

    def retrieve(self, question: str) -> list[Document]:
        docs = self.db.similarity_search(question, k=self.k)
        for d in docs:
            d.metadata["page"] = d.metadata.get("page") or None
        return docs

    def ask(self, question: str) -> tuple[Answer, list[Document]]:
        docs = self.retrieve(question)
        return self.answerer.answer(question, docs), docs
