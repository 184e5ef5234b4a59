"""Example questions shown in the empty chat, per bundled document.

Each is answered (with a citation) by the bundled corpus — tests/ui checks that —
so a new user sees the assistant work with one click. Examples of documents
that are not in the index are not shown.
"""
from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "article-alibaba-ai-rally": [
        "阿里巴巴将在哪些国家开设新的数据中心？",
        "How large could global AI investment become over the next five years?",
        "阿里巴巴的ADR一度上涨了多少？",
        "Which countries will Alibaba open new data centres in?",
    ],
}

MAX_EXAMPLES = 4


def example_questions(assistant, limit: int = MAX_EXAMPLES) -> list[str]:
    ids = {d["doc_id"] for d in assistant.sources()}
    out: list[str] = []
    for doc_id, questions in EXAMPLES.items():
        if doc_id in ids:
            out.extend(questions)
    return out[:limit]
