"""Bilingual (Chinese/English) cited question answering over corporate disclosures."""
from .prompts import CANNOT_ANSWER, CANNOT_ANSWER_ZH
from .types import Answer, Citation, IngestReport, IngestResult

__all__ = ["Answer", "Assistant", "CANNOT_ANSWER", "CANNOT_ANSWER_ZH", "Citation", "IngestReport", "IngestResult"]


def __getattr__(name):
    # `from rag import Assistant` imports the whole engine (LangChain, Chroma, numpy); the `rag`
    # command imports this package for every subcommand, and most need far less of it.
    if name == "Assistant":
        from .assistant import Assistant

        return Assistant
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
