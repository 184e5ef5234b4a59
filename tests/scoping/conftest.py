"""Fixtures for the scoping tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import scoping_support  # noqa: E402


@pytest.fixture(scope="session")
def manifest_documents() -> list[dict]:
    return scoping_support.manifest_docs()
