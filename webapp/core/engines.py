"""The process's engines (vector store, embedder, indexer, searcher, chat model).

Built lazily from the settings object, once per process: Qdrant Edge may be
opened by one process only and the embedding model takes seconds to load.
"""

from __future__ import annotations

import logging
import threading
from functools import cache

from inference import ChatModel, ModelRouter, router_from_config
from retrieval import (
    Embedder,
    EmbeddingBatcher,
    Indexer,
    Searcher,
    VectorStore,
    load_embedder,
    load_reranker,
    open_store,
)
from webapp.config.settings import get_settings

logger = logging.getLogger(__name__)
_lock = threading.RLock()


@cache
def _embedder() -> Embedder:
    settings = get_settings()
    logger.info("loading embedding model (threads=%s)", settings.effective_torch_threads())
    return load_embedder(settings.embedding_config())


@cache
def _store() -> VectorStore:
    embedder = get_embedder()
    settings = get_settings()
    logger.info("opening vector store kind=%s", settings.store_config().kind)
    return open_store(settings.store_config(), dimension=embedder.dimension)


def get_embedder() -> Embedder:
    """The embedding model, loaded once."""
    with _lock:
        return _embedder()


def get_store() -> VectorStore:
    """The vector store, opened once."""
    with _lock:
        return _store()


@cache
def _batcher() -> EmbeddingBatcher:
    return EmbeddingBatcher(get_embedder(), overlap=get_settings().ingest_overlap)


def get_indexer() -> Indexer:
    """An indexer over the process's store and its shared embedding batcher.

    Every worker thread's indexer feeds the one batcher, so the chunks of the
    documents in flight are embedded in one length-sorted call.
    """
    settings = get_settings()
    with _lock:
        batcher = _batcher()
    return Indexer(
        store=get_store(),
        embedder=batcher,
        chunking=settings.chunking_config(),
        parsing=settings.parsing_config(),
    )


def get_searcher() -> Searcher:
    """A searcher over the process's store and embedder (and reranker, when configured)."""
    settings = get_settings()
    return Searcher(
        store=get_store(),
        embedder=get_embedder(),
        config=settings.search_config(),
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
        if _store.cache_info().currsize:
            _store().close()
        _store.cache_clear()
        _embedder.cache_clear()
        _batcher.cache_clear()
        if get_chat_router.cache_info().currsize:
            get_chat_router().close()
        get_chat_router.cache_clear()
