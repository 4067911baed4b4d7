"""BM25 sparse vectors computed in-process with qdrant_edge's Bm25 (valid for Edge and server).

The store keeps the IDF modifier on the "bm25" sparse vector, so documents carry
term-frequency weights and queries carry 1.0 per unique term.
"""

from __future__ import annotations

import logging

from qdrant_edge import Bm25, Bm25Config

from retrieval.config import SparseConfig
from retrieval.models import SparseVector

__all__ = ["SparseEncoder"]

logger = logging.getLogger(__name__)


class SparseEncoder:
    """Turns text into BM25 sparse vectors for one language (Snowball stemming, stopwords)."""

    def __init__(self, config: SparseConfig = SparseConfig()) -> None:  # noqa: B008
        try:
            self._bm25 = Bm25(Bm25Config(language=config.language))
        except ValueError as exc:
            raise ValueError(f"Unsupported BM25 language: {config.language!r}") from exc
        self.language = config.language

    def encode_document(self, text: str) -> SparseVector:
        """Encode a passage for indexing (term-frequency weights)."""
        vector = self._bm25.embed_document(text)
        return SparseVector(indices=tuple(vector.indices), values=tuple(vector.values))

    def encode_query(self, text: str) -> SparseVector:
        """Encode a search query (each unique term weighs 1.0)."""
        vector = self._bm25.embed_query(text)
        return SparseVector(indices=tuple(vector.indices), values=tuple(vector.values))
