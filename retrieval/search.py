"""Query side: embed the question both ways and run the permission-filtered hybrid search.

Steps: detect the query's language; encode it (dense + BM25 stemmed in that
language); weight the arms (the dense arm counts little when the embedding model
does not cover the query's language); the store runs both arms in one batch under
the group filter and fuses them (retrieval.fusion); optionally a cross-encoder
rescores the top candidates; shaping joins neighbours, drops duplicates and caps
per document.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.config import SearchConfig, SparseConfig
from retrieval.embedding import Embedder, embedder_languages
from retrieval.models import Passage, SparseVector
from retrieval.relevance import with_calibrated_gate
from retrieval.rerank import Reranker
from retrieval.shaping import shape_passages
from retrieval.sparse import SparseEncoder
from retrieval.store.base import VectorStore

__all__ = ["SearchResult", "Searcher"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchResult:
    """Passages plus how the search went: query language, arm weights, step timings."""

    passages: list[Passage]
    language: str | None = None
    dense_weight: float = 0.0
    sparse_weight: float = 0.0
    rrf_k: int = 0
    # Milliseconds per step: "embed" (dense + BM25 query encoding), "store"
    # (the Qdrant query), "rerank" (only when a reranker ran), "total".
    timings_ms: dict[str, float] = field(default_factory=dict)


class Searcher:
    """Hybrid dense + BM25 search over the chunks a user's groups may read."""

    def __init__(
        self,
        *,
        store: VectorStore,
        embedder: Embedder,
        config: SearchConfig = SearchConfig(),  # noqa: B008 - frozen
        sparse: SparseEncoder | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._config = with_calibrated_gate(config, embedder.model_name)
        self._sparse = sparse or SparseEncoder(SparseConfig())
        self._reranker = reranker
        self._embedder_languages = embedder_languages(embedder)

    @property
    def config(self) -> SearchConfig:
        """The search settings, gate thresholds filled in for this embedding model."""
        return self._config

    @property
    def embedder(self) -> Embedder:
        """The model that embeds the queries (and may embed other text alike)."""
        return self._embedder

    def search(
        self,
        query: str,
        *,
        allowed_group_ids: Sequence[int],
        collection_ids: Sequence[int] | None = None,
        limit: int = 6,
    ) -> list[Passage]:
        """Return up to ``limit`` passages visible to ``allowed_group_ids``, best first."""
        return self.run(
            query, allowed_group_ids=allowed_group_ids, collection_ids=collection_ids, limit=limit
        ).passages

    def run(
        self,
        query: str,
        *,
        allowed_group_ids: Sequence[int],
        collection_ids: Sequence[int] | None = None,
        limit: int = 6,
        config: SearchConfig | None = None,
        rerank: bool = True,
        shape: bool = True,
    ) -> SearchResult:
        """Search and report language, weights and timings; ``config`` overrides the default."""
        config = with_calibrated_gate(config or self._config, self._embedder.model_name)
        if not allowed_group_ids or not query.strip() or limit <= 0:
            return SearchResult(passages=[])
        if collection_ids is not None and not collection_ids:
            return SearchResult(passages=[])
        started = time.perf_counter()
        language = self._sparse.detect_language(query)
        config = self.weighted(config, language)
        dense = self._embedder.embed_query(query) if config.mode != "sparse" else []
        sparse = self._sparse.encode_query(query, language=language)
        encoded = time.perf_counter()
        reranker = self._reranker if rerank else None
        fetch = limit * max(1, config.overfetch) if shape else limit
        if reranker is not None:
            fetch = max(fetch, reranker.candidates)
        passages = self._store.search(
            dense=dense or [0.0] * self._embedder.dimension,
            sparse=sparse,
            allowed_group_ids=allowed_group_ids,
            collection_ids=collection_ids,
            limit=fetch,
            config=config,
        )
        searched = time.perf_counter()
        timings = {"embed": (encoded - started) * 1000, "store": (searched - encoded) * 1000}
        if reranker is not None:
            passages = reranker.rerank(query, passages[: reranker.candidates])
            timings["rerank"] = (time.perf_counter() - searched) * 1000
        if shape:
            passages = shape_passages(
                passages,
                limit=limit,
                merge_adjacent=config.merge_adjacent,
                duplicate_similarity=config.duplicate_similarity,
                max_per_document=config.max_per_document,
            )
        # An unsure detection (a short question) does not vouch for the cosine either.
        trusted = language is not None and language in self._embedder_languages
        passages = self._with_coverage(passages[:limit], sparse, dense_trusted=trusted)
        timings["total"] = (time.perf_counter() - started) * 1000
        logger.info(
            "search groups=%s lang=%s hits=%s embed_ms=%.1f store_ms=%.1f rerank_ms=%s",
            len(allowed_group_ids),
            language or "?",
            len(passages),
            timings["embed"],
            timings["store"],
            f"{timings['rerank']:.1f}" if "rerank" in timings else "-",
        )
        return SearchResult(
            passages=passages,
            language=language,
            dense_weight=config.dense_weight,
            sparse_weight=config.sparse_weight,
            rrf_k=config.rrf_k,
            timings_ms=timings,
        )

    def _with_coverage(
        self, passages: list[Passage], query: SparseVector, *, dense_trusted: bool
    ) -> list[Passage]:
        """Each passage with the share of the query's BM25 terms its text holds.

        ``dense_trusted`` False (the model does not cover the query's language)
        withholds the dense score: such a cosine is not a similarity (an English
        model puts any two Portuguese texts near 0.45), and the gate must not read it.
        """
        terms = set(query.indices)
        judged = []
        for passage in passages:
            share = 0.0
            if terms:
                words = self._sparse.encode_document(passage.text, language=passage.language)
                share = len(terms.intersection(words.indices)) / len(terms)
            dense = passage.dense_score if dense_trusted else None
            judged.append(dataclasses.replace(passage, term_coverage=share, dense_score=dense))
        return judged

    def weighted(self, config: SearchConfig, language: str | None) -> SearchConfig:
        """``config`` led by BM25 when the embedding model does not cover ``language``."""
        if language is None or language in self._embedder_languages:
            return config
        return dataclasses.replace(
            config, dense_weight=config.uncovered_dense_weight, rrf_k=config.uncovered_rrf_k
        )
