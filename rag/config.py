"""All settings in one place: defaults, overridden by environment, overridden by CLI flags."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def _env(name: str, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path(".rag")
    chroma_url: str | None = None        # e.g. http://127.0.0.1:8000 -> Chroma server mode
    collection: str = "rag_chunks"
    embedder: str = "use"                # or sentence-transformers:NAME_OR_PATH
    reranker: str | None = None          # sentence-transformers:NAME_OR_PATH (cross-encoder)
    top_k: int = 8                       # passages handed to the answerer (8 beat 6 and 10 on dev)
    candidates: int = 30                 # per retriever, before fusion
    chunk_size: float = 160.0            # in rough tokens (CJK char = 1, 4 Latin chars = 1)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 60.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        s = cls(
            index_dir=Path(_env("RAG_INDEX", ".rag")),
            chroma_url=_env("RAG_CHROMA_URL"),
            collection=_env("RAG_COLLECTION", "rag_chunks"),
            embedder=_env("RAG_EMBEDDER", "use"),
            reranker=_env("RAG_RERANKER"),
            top_k=int(_env("RAG_TOP_K", 8)),
            llm_base_url=_env("RAG_LLM_BASE_URL"),
            llm_model=_env("RAG_LLM_MODEL"),
            llm_api_key=_env("RAG_LLM_API_KEY"),
            llm_timeout=float(_env("RAG_LLM_TIMEOUT", 60.0)),
        )
        valid = {f.name for f in fields(cls)}
        clean = {k: v for k, v in overrides.items() if v is not None and k in valid}
        if "index_dir" in clean:
            clean["index_dir"] = Path(clean["index_dir"])
        return replace(s, **clean)
