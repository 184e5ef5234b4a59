"""Bilingual (Chinese/English) cited question answering over corporate disclosures."""
from .assistant import Assistant
from .prompts import CANNOT_ANSWER, CANNOT_ANSWER_ZH
from .types import Answer, Citation, IngestReport, IngestResult

__all__ = ["Answer", "Assistant", "CANNOT_ANSWER", "CANNOT_ANSWER_ZH", "Citation", "IngestReport", "IngestResult"]
