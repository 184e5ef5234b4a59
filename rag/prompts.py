"""User-facing fixed texts, in both languages. Code and tests use these constants."""

CANNOT_ANSWER = "The indexed documents do not say."
CANNOT_ANSWER_ZH = "已索引的文档中没有相关内容。"
EMPTY_INDEX = "The index is empty: ingest documents first (rag ingest PATH...)."
EMPTY_QUESTION = "The question is empty."


def cannot_answer(language: str) -> str:
    return CANNOT_ANSWER_ZH if language == "zh" else CANNOT_ANSWER


def company_not_indexed(names: list[str], language: str) -> str:
    """The answer to a question about a company none of the indexed documents is about."""
    if language == "zh":
        return "已索引的文档中没有关于" + "、".join(f"“{n}”" for n in names) + "的文档，因此不以其他公司的文档作答。"
    return ("The indexed documents do not include any about " + ", ".join(f"'{n}'" for n in names)
            + ", so the question is not answered from another company's documents.")
