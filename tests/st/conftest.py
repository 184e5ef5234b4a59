"""Fixtures for the sentence-transformers tests: tiny models built once per session.

The models are made on disk by ``tests/tiny_models.py`` (no network, fixed seeds).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import tiny_models  # noqa: E402


@pytest.fixture(scope="session")
def tiny_st_model(tmp_path_factory) -> Path:
    """Directory of a tiny SentenceTransformer (64-d, random weights, seed 0)."""
    tiny_models.require_sentence_transformers()
    return tiny_models.build_tiny_st_model(tmp_path_factory.mktemp("models") / "tiny-st")


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory) -> Path:
    """Directory of a tiny cross-encoder (one logit, random weights, seed 0)."""
    tiny_models.require_sentence_transformers()
    return tiny_models.build_tiny_cross_encoder(
        tmp_path_factory.mktemp("models") / "tiny-cross-encoder")
