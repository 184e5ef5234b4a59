"""User-facing fixed texts, in both languages. Code and tests use these constants."""

CANNOT_ANSWER = "The indexed documents do not say."
CANNOT_ANSWER_ZH = "已索引的文档中没有相关内容。"
EMPTY_INDEX = "The index is empty: ingest documents first (rag ingest PATH...)."
EMPTY_QUESTION = "The question is empty."


def cannot_answer(language: str) -> str:
    return CANNOT_ANSWER_ZH if language == "zh" else CANNOT_ANSWER
