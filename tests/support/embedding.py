"""A real embedder wrapped to count what it encodes (to prove that vectors were reused)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any


class CountingEmbedder:
    """Delegates to a real Embedder and counts the passages it embeds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.dimension: int = inner.dimension
        self.model_name: str = inner.model_name
        self.tokenizer: Any = inner.tokenizer
        self.batch_size: int | None = getattr(inner, "batch_size", None)
        self.languages = getattr(inner, "languages", None)
        # The same embedding identity as the real one (the index checks it).
        self.backend: str = getattr(inner, "backend", "torch")
        self._lock = threading.Lock()
        self.passages = 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed for real, counting the texts."""
        with self._lock:
            self.passages += len(texts)
        vectors: list[list[float]] = self.inner.embed_documents(texts)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Queries are not counted (searches embed them)."""
        vector: list[float] = self.inner.embed_query(text)
        return vector

    def reset(self) -> int:
        """The count so far, then zero."""
        with self._lock:
            count, self.passages = self.passages, 0
        return count
