"""Vector stores: Qdrant Edge in-process, or a Qdrant server / local mode via qdrant-client."""

from __future__ import annotations

import dataclasses

from retrieval.config import StoreConfig
from retrieval.store.base import IndexedChunk, VectorStore, chunk_point_id

__all__ = ["IndexedChunk", "VectorStore", "chunk_point_id", "index_store_config", "open_store"]


def index_store_config(base: StoreConfig, name: str) -> StoreConfig:
    """Where index ``name`` lives: its own collection (server) or its own directory (edge, local).

    The index named like ``base.collection`` keeps ``base`` unchanged, so an index
    built before rebuilds existed is found where it always was.
    """
    if name == base.collection:
        return base
    path = None if base.path is None else base.path.with_name(f"{base.path.name}-{name}")
    return dataclasses.replace(base, collection=name, path=path)


def open_store(config: StoreConfig, *, dimension: int, embedding: str | None = None) -> VectorStore:
    """Open the configured store, creating its collection if missing.

    ``embedding`` (``embedding_identity(embedder)``) is stamped on every point and
    checked on open: an index built by another model or backend raises
    IndexConfigurationError. None skips both (scratch stores, old callers).
    """
    if config.kind == "edge":
        if config.path is None:
            raise ValueError("StoreConfig.path is required for the edge store")
        from retrieval.store.edge import EdgeStore

        return EdgeStore(
            config.path,
            dimension=dimension,
            embedding=embedding,
            search_threads=config.edge_search_threads,
        )
    from retrieval.store.server import ServerStore

    if config.kind == "local":
        if config.path is None:
            raise ValueError("StoreConfig.path is required for the local store")
        return ServerStore(
            dimension=dimension, collection=config.collection, path=config.path, embedding=embedding
        )
    if config.kind == "server":
        if not config.url:
            raise ValueError("StoreConfig.url is required for the server store")
        return ServerStore(
            dimension=dimension,
            collection=config.collection,
            url=config.url,
            api_key=config.api_key,
            timeout=config.timeout,
            embedding=embedding,
        )
    raise ValueError(f"Unknown store kind: {config.kind!r}")
