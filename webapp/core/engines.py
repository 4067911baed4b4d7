"""The process's engines (vector store, embedder, indexer, searcher, chat model).

Built lazily from the settings object and the active ``SearchIndex`` row, and
kept per process: Qdrant Edge may be opened by one process only and an
embedding model takes seconds to load. Every call reads which index is active
(one small query), so when an index rebuilt with another model is switched on,
each process starts searching it and closes the stores it no longer needs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from inference import ChatModel, ModelRouter, router_from_config
from retrieval import (
    MINILM,
    PACKAGED_MODELS,
    Embedder,
    EmbeddingBatcher,
    EmbeddingConfig,
    Indexer,
    QueryBatcher,
    Searcher,
    VectorStore,
    embedding_identity,
    index_store_config,
    load_embedder,
    load_reranker,
    open_store,
)
from webapp.config.settings import get_settings

logger = logging.getLogger(__name__)
_lock = threading.RLock()
# Open stores by index name; a store of an index no longer active or building is closed.
_stores: dict[str, VectorStore] = {}
# One query batcher per embedding model (an index switch brings another model).
_query_batchers: dict[Embedder, QueryBatcher] = {}
# One pool of document chunks per embedding model, shared by the indexing threads.
_document_batchers: dict[Embedder, EmbeddingBatcher] = {}


@dataclass(frozen=True)
class IndexEngines:
    """One index's store and the embedding model its vectors come from (always used together)."""

    name: str
    store: VectorStore
    embedder: Embedder


def embedding_config_for(model_key: str, backend: str | None = None) -> EmbeddingConfig:
    """The embedding slice for an index's model key (see ``indexes.model_key``).

    '' is the packaged all-MiniLM-L6-v2, a packaged name that model, anything else
    a local directory. ``backend`` None (or numpy, which only USE runs on) is the
    configured one; threads and batch size are the configured ones.
    """
    settings = get_settings()
    if model_key == "" or model_key in PACKAGED_MODELS:
        model, model_dir = model_key or MINILM, None
    else:
        model, model_dir = EmbeddingConfig.model, Path(model_key)
    if backend not in ("torch", "onnx-int8"):
        backend = settings.embedding_backend
    return dataclasses.replace(
        settings.embedding_config(), model=model, model_dir=model_dir, backend=backend
    )


def embedder_for(model_dir: str, backend: str | None = None) -> Embedder:
    """The embedding model of model key ``model_dir`` ('' = packaged MiniLM) run by ``backend``."""
    return load_embedder(embedding_config_for(model_dir, backend))  # loaded once, then cached


def _active_row() -> tuple[Any, bool]:
    """The active SearchIndex row, and whether this call recorded it (first start)."""
    from webapp.knowledge.indexes import model_key, search_index_active, search_index_bootstrap

    row = search_index_active()
    if row is not None:
        return row, False
    configured = model_key(get_settings().embedding_model_source())
    embedder = embedder_for(configured)
    row = search_index_bootstrap(
        model_dir=configured,
        backend=getattr(embedder, "backend", "torch"),  # what really runs the model
        model_name=embedder.model_name,
        dimension=embedder.dimension,
    )
    return row, True


def _engines(row: Any) -> IndexEngines:
    embedder = embedder_for(row.model_dir, row.backend)
    with _lock:
        store = _stores.get(row.name)
        if store is None:
            config = index_store_config(get_settings().store_config(), row.name)
            logger.info("opening vector store kind=%s index=%s", config.kind, row.name)
            store = open_store(
                config, dimension=embedder.dimension, embedding=embedding_identity(embedder)
            )
            _stores[row.name] = store
    return IndexEngines(name=row.name, store=store, embedder=embedder)


def _close_unused(keep: set[str]) -> None:
    with _lock:
        for name in [n for n in _stores if n not in keep]:
            logger.info("closing vector store of index %s (no longer in use)", name)
            _stores.pop(name).close()


def _rows_in_use() -> tuple[Any, Any, bool]:
    """(active, building, whether this call recorded the active row)."""
    from webapp.knowledge.indexes import search_index_building, search_indexes_in_use

    active, building = search_indexes_in_use()  # one query, outside the lock
    if active is not None:
        return active, building, False
    with _lock:  # first start: one thread records the active index
        row, recorded = _active_row()
        return row, search_index_building(), recorded


def active_engines() -> IndexEngines:
    """Store and embedder of the active index: what every search uses."""
    row, building, recorded = _rows_in_use()
    with _lock:
        _close_unused({row.name, *([building.name] if building else [])})
        engines = _engines(row)
    if recorded:
        point_active_alias(row.name)
    return engines


def building_engines() -> IndexEngines | None:
    """Store and embedder of the index being built for a new model, if a build runs."""
    from webapp.knowledge.indexes import search_index_building

    building = search_index_building()
    return _engines(building) if building is not None else None


def write_engines() -> list[IndexEngines]:
    """Every index a change must reach: the active one, and the one being built."""
    building = building_engines()
    return [active_engines(), *([building] if building is not None else [])]


def get_embedder() -> Embedder:
    """The embedding model of the active index (without opening its store)."""
    with _lock:
        row = _active_row()[0]
        return embedder_for(row.model_dir, row.backend)


def get_store() -> VectorStore:
    """The vector store of the active index."""
    return active_engines().store


def get_write_stores() -> list[VectorStore]:
    """The stores deletions and permission changes go to (active and building)."""
    return [engines.store for engines in write_engines()]


def point_active_alias(name: str) -> None:
    """Qdrant server: point the alias '<ENCLAVE_QDRANT_COLLECTION>_active' at index ``name``."""
    settings = get_settings()
    with _lock:
        store = _stores.get(name)
    point = getattr(store, "point_alias", None)
    if point is not None and settings.store_config().kind == "server":
        point(f"{settings.qdrant_collection}_active")


def query_embedder_for(embedder: Embedder) -> Embedder:
    """``embedder`` for search queries: concurrent searches share one model call."""
    with _lock:
        batcher = _query_batchers.get(embedder)
        if batcher is None:
            batcher = _query_batchers[embedder] = QueryBatcher(embedder)
        return batcher


def drop_index(name: str, *, dimension: int) -> None:
    """Delete an index's collection (or Edge directory) with every point in it."""
    with _lock:
        store = _stores.pop(name, None)
        if store is None:
            config = index_store_config(get_settings().store_config(), name)
            store = open_store(config, dimension=dimension)
        store.drop()
    logger.info("index %s dropped", name)


def _document_batcher(embedder: Embedder) -> EmbeddingBatcher:
    """The one pool every indexing thread feeds for ``embedder`` (see retrieval.batching)."""
    with _lock:
        batcher = _document_batchers.get(embedder)
        if batcher is None:
            batcher = EmbeddingBatcher(embedder, overlap=get_settings().ingest_overlap)
            _document_batchers[embedder] = batcher
        return batcher


def indexer_for(engines: IndexEngines) -> Indexer:
    """An indexer writing into one index with its own embedding model.

    Every worker thread's indexer for that model feeds one batcher, so the chunks
    of the documents in flight are embedded in one length-sorted call.
    """
    settings = get_settings()
    return Indexer(
        store=engines.store,
        embedder=_document_batcher(engines.embedder),
        chunking=settings.chunking_config(),
        parsing=settings.parsing_config(),
    )


def get_indexer() -> Indexer:
    """An indexer over the active index's store and embedder."""
    return indexer_for(active_engines())


def get_searcher() -> Searcher:
    """A searcher over the active index (and reranker, when configured)."""
    settings = get_settings()
    engines = active_engines()
    return Searcher(
        store=engines.store,
        embedder=query_embedder_for(engines.embedder),
        config=settings.search_config(model_name=engines.embedder.model_name),
        reranker=load_reranker(settings.rerank_config()),
    )


@cache
def get_chat_router() -> ModelRouter:
    """The model catalogue and routing rule: vLLM models, or the extractive backend."""
    return router_from_config(get_settings().inference_config())


def get_chat_model() -> ChatModel:
    """The default answer backend (the router picks per question)."""
    return get_chat_router().default


def close_engines() -> None:
    """Close the store (flushes Qdrant Edge) and forget every engine."""
    with _lock:
        _close_unused(set())
        _query_batchers.clear()
        _document_batchers.clear()
        if get_chat_router.cache_info().currsize:
            get_chat_router().close()
        get_chat_router.cache_clear()
