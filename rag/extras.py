"""Optional parts of the project (pyproject's extras) and the one clear error when one is missing."""
from __future__ import annotations

import importlib.util

# extra -> the module whose absence means the extra is not installed
EXTRAS = {"ui": "gradio", "llm": "langchain_openai", "st": "sentence_transformers"}


class MissingExtra(ImportError):
    """An optional part is not installed; ``str(e)`` names the extra that brings it and how to install it.
    The `rag` command prints it as one line and exits 2 (a problem of the setup, like a usage error)."""

    def __init__(self, what: str, extra: str, note: str = ""):
        super().__init__(f"{what} needs the '{extra}' extra: pip install -e '.[{extra}]'{note}", name=EXTRAS.get(extra))
        self.extra = extra


def installed(extra: str) -> bool:
    """Is the extra's module importable? (Looks, does not import: torch and Gradio take seconds.)"""
    try:
        return importlib.util.find_spec(EXTRAS[extra]) is not None
    except (ImportError, ValueError):
        return False


def require(extra: str, what: str, note: str = "") -> None:
    """Raise MissingExtra unless ``extra`` is installed; ``what`` needs it ("rag ui")."""
    if not installed(extra):
        raise MissingExtra(what, extra, note)
