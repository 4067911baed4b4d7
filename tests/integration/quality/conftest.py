"""Quality checks run the real model and a real Qdrant Edge store (no database)."""

from __future__ import annotations

import os

import pytest

from retrieval import Embedder, EmbeddingConfig, load_embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default engine (USE multilingual v3 from its PyPI package), loaded once."""
    return load_embedder(EmbeddingConfig(threads=2))
