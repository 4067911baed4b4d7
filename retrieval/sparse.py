"""BM25 sparse vectors computed in-process with qdrant_edge's Bm25 (valid for Edge and server).

The store keeps the IDF modifier on the "bm25" sparse vector, so documents carry
term-frequency weights and queries carry 1.0 per unique term.

Language-aware: each chunk is stemmed with the Snowball stemmer and stopwords of
its detected language (English or Portuguese). A query is encoded in its own
detected language; when detection is unsure (one acronym, a number) it is
encoded in every configured language and the term sets are joined, so it still
matches chunks stemmed either way.
"""

from __future__ import annotations

import logging

from qdrant_edge import Bm25, Bm25Config

from retrieval.config import SparseConfig
from retrieval.language import LANGUAGE_CODES, LanguageDetector
from retrieval.models import SparseVector

__all__ = ["SparseEncoder"]

logger = logging.getLogger(__name__)


class SparseEncoder:
    """Turns text into BM25 sparse vectors, stemming each text in its own language."""

    def __init__(self, config: SparseConfig = SparseConfig()) -> None:  # noqa: B008
        self.config = config
        self.language = config.language
        self._fallback = _new_bm25(config, config.language)
        self._by_code: dict[str, Bm25] = {}
        for code in config.detect_languages:
            name = LANGUAGE_CODES.get(code)
            if name is None:
                raise ValueError(f"Unsupported BM25 language: {code!r}")
            self._by_code[code] = (
                self._fallback if name == config.language else _new_bm25(config, name)
            )
        self._detector = (
            LanguageDetector(config.detect_languages) if len(config.detect_languages) > 1 else None
        )

    def detect_language(self, text: str) -> str | None:
        """ISO 639-1 code of ``text`` among the configured languages, None when unsure."""
        if self._detector is None:
            return next(iter(self._by_code), None)
        return self._detector.detect(text)

    def encode_document(self, text: str, *, language: str | None = None) -> SparseVector:
        """Encode a passage for indexing (term-frequency weights) in ``language`` or its own."""
        code = language if language is not None else self.detect_language(text)
        vector = self._by_code.get(code or "", self._fallback).embed_document(text)
        return SparseVector(indices=tuple(vector.indices), values=tuple(vector.values))

    def encode_query(self, text: str, *, language: str | None = None) -> SparseVector:
        """Encode a search query (each unique term weighs 1.0) in ``language`` or its own."""
        code = language if language is not None else self.detect_language(text)
        model = self._by_code.get(code or "")
        if model is not None or not self._by_code:
            vector = (model or self._fallback).embed_query(text)
            return SparseVector(indices=tuple(vector.indices), values=tuple(vector.values))
        # Unsure: the union of every language's terms, each still weighing 1.0.
        terms: set[int] = set()
        for bm25 in {id(m): m for m in self._by_code.values()}.values():
            terms.update(bm25.embed_query(text).indices)
        ordered = tuple(sorted(terms))
        return SparseVector(indices=ordered, values=(1.0,) * len(ordered))


def _new_bm25(config: SparseConfig, language: str) -> Bm25:
    try:
        return Bm25(Bm25Config(k=config.k, b=config.b, avg_len=config.avg_len, language=language))
    except ValueError as exc:
        raise ValueError(f"Unsupported BM25 language: {language!r}") from exc
