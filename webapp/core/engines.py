"""The process's engines, cached by what they serve: an index's store and model, the chat router.

A plain cache keyed by an ``IndexSpec`` (name, model, backend, dimension): it never
reads the database. Which index is active, or being built, is decided by
``webapp.knowledge.index_engines``, which asks here for that index's engines.
Kept per process: Qdrant Edge may be opened by one process only and an embedding
model takes seconds to load. Each key is built once, and a slow build only makes
callers of the same key wait (``retrieval.once``).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from inference import ChatModel, ModelRouter, router_from_config
from retrieval import (
    MINILM,
    PACKAGED_MODELS,
    Embedder,
    EmbeddingBatcher,
    EmbeddingConfig,
    Indexer,
    QueryBatcher,
    QueryFirst,
    Searcher,
    VectorStore,
    embedding_identity,
    index_store_config,
    load_embedder,
    load_reranker,
    open_store,
)
from retrieval.once import KeyedOnce
from retrieval.store.base import AliasableStore
from webapp.config.logs import request_id_headers
from webapp.config.settings import get_settings

logger = logging.getLogger(__name__)
# Open stores by index name; a store of an index no longer in use is closed.
_stores: KeyedOnce[str, VectorStore] = KeyedOnce()
# One query batcher per embedding model (an index switch brings another model).
_query_batchers: KeyedOnce[Embedder, QueryBatcher] = KeyedOnce()
# One pool of document chunks per embedding model, shared by the indexing threads.
_document_batchers: KeyedOnce[Embedder, EmbeddingBatcher] = KeyedOnce()
# Per embedding model: its document encodes let its search queries go first.
_query_first: KeyedOnce[Embedder, QueryFirst] = KeyedOnce()
# Per index name: its searcher and what it was built from (store, query model, settings).
# A searcher holds no state of its own between searches, so every question shares it.
_searchers: dict[str, tuple[tuple[VectorStore, Embedder, object], Searcher]] = {}


@dataclass(frozen=True)
class IndexSpec:
    """What an index is: its name, model key ('' = packaged), backend and dimension."""

    name: str
    model_dir: str
    backend: str
    dimension: int


@dataclass(frozen=True)
class IndexEngines:
    """One index's store and the embedding model its vectors come from (always used together)."""

    spec: IndexSpec
    store: VectorStore
    embedder: Embedder

    @property
    def name(self) -> str:
        """The index's name."""
        return self.spec.name


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
        backend = settings.embedding.backend
    return dataclasses.replace(
        settings.embedding_config(), model=model, model_dir=model_dir, backend=backend
    )


def embedder_for(model_dir: str, backend: str | None = None) -> Embedder:
    """The embedding model of model key ``model_dir`` ('' = packaged MiniLM) run by ``backend``."""
    return load_embedder(embedding_config_for(model_dir, backend))  # loaded once, then cached


def engines_for(spec: IndexSpec) -> IndexEngines:
    """The store and embedding model of the index ``spec`` describes, opened on first use."""
    embedder = embedder_for(spec.model_dir, spec.backend)

    def open_index_store() -> VectorStore:
        config = index_store_config(get_settings().store_config(), spec.name)
        logger.info("opening vector store kind=%s index=%s", config.kind, spec.name)
        return open_store(
            config, dimension=embedder.dimension, embedding=embedding_identity(embedder)
        )

    return IndexEngines(
        spec=spec, store=_stores.get(spec.name, open_index_store), embedder=embedder
    )


def store_is_open(name: str) -> bool:
    """Whether this process has the store of index ``name`` open."""
    return _stores.peek(name) is not None


def close_unused(keep: set[str]) -> None:
    """Close the open stores of every index not named in ``keep``."""
    for name in [n for n in _stores.built() if n not in keep]:
        store = _stores.pop(name)
        _searchers.pop(name, None)
        if store is not None:
            logger.info("closing vector store of index %s (no longer in use)", name)
            store.close()


def point_active_alias(name: str) -> None:
    """Qdrant server: point the alias '<ENCLAVE_QDRANT_COLLECTION>_active' at index ``name``."""
    settings = get_settings()
    store = _stores.peek(name)
    if isinstance(store, AliasableStore) and settings.store_config().kind == "server":
        store.point_alias(f"{settings.store.collection}_active")


def drop_index(name: str, *, dimension: int) -> None:
    """Delete an index's collection (or Edge directory) with every point in it."""
    store = _stores.pop(name)
    if store is None:
        config = index_store_config(get_settings().store_config(), name)
        store = open_store(config, dimension=dimension)
    store.drop()
    logger.info("index %s dropped", name)


def query_embedder_for(embedder: Embedder) -> Embedder:
    """``embedder`` for search queries: concurrent searches share one model call."""
    queries = _query_first.get(embedder, QueryFirst)
    return _query_batchers.get(embedder, lambda: QueryBatcher(embedder, queries=queries))


def indexer_for(engines: IndexEngines) -> Indexer:
    """An indexer writing into one index with its own embedding model.

    Every worker thread's indexer for that model feeds one batcher, so the chunks
    of the documents in flight are embedded in one length-sorted call.
    """
    settings = get_settings()
    batcher = _document_batchers.get(
        engines.embedder,
        lambda: EmbeddingBatcher(
            engines.embedder,
            overlap=settings.ingestion.overlap,
            # Questions asked while documents are ingested do not wait for whole pools.
            queries=_query_first.get(engines.embedder, QueryFirst),
        ),
    )
    return Indexer(
        store=engines.store,
        embedder=batcher,
        chunking=settings.chunking_config(),
        parsing=settings.parsing_config(),
    )


def searcher_for(engines: IndexEngines) -> Searcher:
    """A searcher over one index (and the reranker, when configured).

    Built once and kept while the index's store, its query model and the search and
    rerank settings stay the same: a question no longer builds one (its BM25 encoders,
    language detector and calibrated gate) before it searches.
    """
    settings = get_settings()
    embedder = query_embedder_for(engines.embedder)
    config = settings.search_config(model_name=engines.embedder.model_name)
    rerank = settings.rerank_config()
    kept = _searchers.get(engines.name)
    if kept is not None:
        (store, kept_embedder, settings_used), searcher = kept
        # The very objects (a reopened store is another one), and equal settings.
        if (
            store is engines.store
            and kept_embedder is embedder
            and settings_used == (config, rerank)
        ):
            return searcher
    searcher = Searcher(
        store=engines.store, embedder=embedder, config=config, reranker=load_reranker(rerank)
    )
    _searchers[engines.name] = ((engines.store, embedder, (config, rerank)), searcher)
    return searcher


@cache
def get_chat_router() -> ModelRouter:
    """The model catalogue and routing rule: vLLM models, or the extractive backend.

    Each call to a model server carries the current request id (``X-Request-ID``).
    """
    config = get_settings().inference_config()
    return router_from_config(dataclasses.replace(config, request_headers=request_id_headers))


def get_chat_model() -> ChatModel:
    """The default answer backend (the router picks per question)."""
    return get_chat_router().default


def close_engines() -> None:
    """Close the stores (flushes Qdrant Edge) and forget every engine."""
    close_unused(set())
    _searchers.clear()
    _query_batchers.clear()
    _document_batchers.clear()
    if get_chat_router.cache_info().currsize:
        get_chat_router().close()
    get_chat_router.cache_clear()
