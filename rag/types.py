"""Result types of the public API (kept small: they are the contract)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    page: int | None
    quote: str          # verbatim substring of the stored page text
    start: int = 0      # offsets of the quote in that page text
    end: int = 0
    kind: str = ""
    date: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    scope: str = ""                  # which documents retrieval was limited to, if any
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    passages: list[dict] = field(default_factory=list)  # what retrieval returned (for evals/UI)
    confidence: float = 0.0          # score of the best evidence sentence (answerer's scale)
    answerer: str = "extractive"     # extractive | llm | extractive-fallback (the LLM failed; see notices)
    # LLM answers: per-sentence grounding check (text, start, end, citations, invalid_citations,
    # numbers, claim, verified, problems); sentences with verified=False are marked in ``text``.
    sentences: list[dict] = field(default_factory=list)
    rewritten_question: str = ""     # the standalone question retrieval used, when a follow-up was rewritten
    raw_text: str = ""               # the LLM's reply as received (before marking / fallback)
    timings: dict = field(default_factory=dict)   # seconds per stage (llm, grounding, ...)
    fallback_reason: str = ""        # why the LLM answer was not used (answerer == "extractive-fallback")

    @property
    def verified(self) -> bool:
        """False when any sentence failed the grounding check."""
        return all(s.get("verified", True) for s in self.sentences)

    def to_dict(self) -> dict:
        d = {
            "question": self.question, "answer": self.text, "abstained": self.abstained,
            "citations": [{k: c.to_dict()[k] for k in ("n", "doc_id", "title", "source", "page", "quote")}
                          for c in self.citations],
            "scope": self.scope, "notices": self.notices,
        }
        if self.answerer != "extractive":
            d.update(answerer=self.answerer, verified=self.verified, sentences=self.sentences)
            if self.fallback_reason:
                d["fallback_reason"] = self.fallback_reason
        if self.rewritten_question:
            d["rewritten_question"] = self.rewritten_question
        return d


@dataclass
class IngestResult:
    path: str
    status: str            # added | unchanged | replaced | failed
    doc_id: str = ""
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    stages: dict = field(default_factory=dict)   # seconds spent extracting and chunking (maybe in the read-ahead child)

    def line(self) -> str:
        if self.status == "failed":
            return f"failed     {self.path}: {self.reason}"
        extra = f" ({self.pages} pages, {self.chunks} chunks, {self.seconds:.1f}s)" if self.status != "unchanged" else ""
        note = f" — {self.reason}" if self.reason else ""
        return f"{self.status:<10} {self.path} -> {self.doc_id}{extra}{note}"


@dataclass
class IngestReport:
    results: list[IngestResult] = field(default_factory=list)

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    @property
    def failed(self) -> list[IngestResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def by_status(self, status: str) -> list[IngestResult]:
        return [r for r in self.results if r.status == status]
