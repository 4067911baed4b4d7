"""Query side: embed the question both ways and run the permission-filtered hybrid search."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from retrieval.config import SearchConfig, SparseConfig
from retrieval.embedding import Embedder
from retrieval.models import Passage
from retrieval.sparse import SparseEncoder
from retrieval.store.base import VectorStore

__all__ = ["Searcher"]

logger = logging.getLogger(__name__)


class Searcher:
    """Hybrid dense + BM25 search over the chunks a user's groups may read."""

    def __init__(
        self,
        *,
        store: VectorStore,
        embedder: Embedder,
        config: SearchConfig = SearchConfig(),  # noqa: B008 - frozen
        sparse: SparseEncoder | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._config = config
        self._sparse = sparse or SparseEncoder(SparseConfig())

    def search(
        self,
        query: str,
        *,
        allowed_group_ids: Sequence[int],
        collection_ids: Sequence[int] | None = None,
        limit: int = 6,
    ) -> list[Passage]:
        """Return up to ``limit`` passages visible to ``allowed_group_ids``, best first."""
        if not allowed_group_ids or not query.strip() or limit <= 0:
            return []
        if collection_ids is not None and not collection_ids:
            return []
        started = time.perf_counter()
        passages = self._store.search(
            dense=self._embedder.embed_query(query),
            sparse=self._sparse.encode_query(query),
            allowed_group_ids=allowed_group_ids,
            collection_ids=collection_ids,
            limit=limit,
            config=self._config,
        )
        logger.info(
            "search groups=%s hits=%s ms=%.1f",
            len(allowed_group_ids),
            len(passages),
            (time.perf_counter() - started) * 1000,
        )
        return passages
