"""Real engines for retrieval integration tests: the packaged model and both Qdrant stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import (
    MINILM,
    Embedder,
    EmbeddingConfig,
    SparseEncoder,
    StoreConfig,
    VectorStore,
    load_embedder,
    open_store,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default engine (USE multilingual v3 from its PyPI package), loaded once."""
    return load_embedder(EmbeddingConfig(threads=2))


@pytest.fixture(scope="session")
def minilm_embedder() -> Embedder:
    """all-MiniLM-L6-v2 from its PyPI package on torch (fp32), loaded once."""
    return load_embedder(EmbeddingConfig(model=MINILM, threads=2))


@pytest.fixture(scope="session")
def sparse_encoder() -> SparseEncoder:
    """English BM25 encoder."""
    return SparseEncoder()


@pytest.fixture(params=["edge", "local"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder
) -> Iterator[VectorStore]:
    """Each store kind in a fresh directory: Qdrant Edge and qdrant-client local mode."""
    config = StoreConfig(kind=request.param, path=tmp_path / request.param)
    opened = open_store(config, dimension=embedder.dimension)
    yield opened
    opened.close()
