"""The engines of the indexes in use: the active one for every search, the one being built.

Every call reads which ``SearchIndex`` rows are active or building (one small
query), so when an index rebuilt with another model is switched on, each
process starts searching it and closes the stores it no longer needs. The
engines themselves are cached by ``webapp.core.engines``.
"""

from __future__ import annotations

from retrieval import Embedder, Indexer, Searcher, VectorStore
from webapp.config.settings import get_settings
from webapp.core.engines import (
    IndexEngines,
    IndexSpec,
    close_unused,
    embedder_for,
    engines_for,
    indexer_for,
    point_active_alias,
    searcher_for,
    store_is_open,
)
from webapp.knowledge.indexes import (
    model_key,
    search_index_active,
    search_index_bootstrap,
    search_index_building,
    search_indexes_in_use,
)
from webapp.knowledge.models import SearchIndex

__all__ = [
    "active_engines",
    "building_engines",
    "get_embedder",
    "get_indexer",
    "get_searcher",
    "get_store",
    "get_write_stores",
    "index_spec",
    "write_engines",
]


def index_spec(index: SearchIndex) -> IndexSpec:
    """The cache key of an index's engines."""
    return IndexSpec(
        name=index.name, model_dir=index.model_dir, backend=index.backend, dimension=index.dimension
    )


def _record_active() -> SearchIndex:
    """First start: record the configured model's index as the active one.

    Threads and processes racing here all load the same model (once per process)
    and the database keeps one row (``search_index_bootstrap``).
    """
    configured = model_key(get_settings().embedding_model_source())
    embedder = embedder_for(configured)
    index = search_index_bootstrap(
        model_dir=configured,
        backend=getattr(embedder, "backend", "torch"),  # what really runs the model
        model_name=embedder.model_name,
        dimension=embedder.dimension,
    )
    return index


def active_engines() -> IndexEngines:
    """Store and embedder of the active index: what every search uses."""
    active, building = search_indexes_in_use()
    if active is not None and not store_is_open(active.name):
        # The model may take seconds to load. A build may switch indexes (and drop
        # this one) meanwhile: read the active index again before opening its store,
        # or the dropped index's store would be opened (and its directory made) again.
        # An open store needs neither (every search after the first).
        spec = index_spec(active)
        embedder_for(spec.model_dir, spec.backend)
        active, building = search_indexes_in_use()
    recorded = active is None
    if active is None:
        active, building = _record_active(), search_index_building()
    close_unused({active.name, *([building.name] if building else [])})
    engines = engines_for(index_spec(active))
    if recorded:  # the store is open now: the server's alias can point at it
        point_active_alias(active.name)
    return engines


def building_engines() -> IndexEngines | None:
    """Store and embedder of the index being built for a new model, if a build runs."""
    building = search_index_building()
    return engines_for(index_spec(building)) if building is not None else None


def write_engines() -> list[IndexEngines]:
    """Every index a change must reach: the active one, and the one being built."""
    building = building_engines()
    return [active_engines(), *([building] if building is not None else [])]


def get_embedder() -> Embedder:
    """The embedding model of the active index (without opening its store)."""
    active = search_index_active() or _record_active()
    return embedder_for(active.model_dir, active.backend)


def get_store() -> VectorStore:
    """The vector store of the active index."""
    return active_engines().store


def get_write_stores() -> list[VectorStore]:
    """The stores deletions and permission changes go to (active and building)."""
    return [engines.store for engines in write_engines()]


def get_indexer() -> Indexer:
    """An indexer over the active index's store and embedder."""
    return indexer_for(active_engines())


def get_searcher() -> Searcher:
    """A searcher over the active index (and reranker, when configured)."""
    return searcher_for(active_engines())
