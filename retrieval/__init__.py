"""Enclave retrieval: parsing, chunking, embeddings, BM25, vector stores and hybrid search.

A plain library configured through constructors; it imports nothing of Django,
Celery, the web app, the worker or inference. Heavy modules (torch, qdrant) load
on first use of the name that needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    ParsingConfig,
    SearchConfig,
    SparseConfig,
    StoreConfig,
)
from retrieval.errors import (
    DocumentTooLargeError,
    EmbeddingModelError,
    EmptyDocumentError,
    EncryptedDocumentError,
    IndexConfigurationError,
    IndexUnavailableError,
    ParseError,
    RetrievalError,
    UnsupportedFormatError,
)
from retrieval.models import (
    Chunk,
    DocumentMeta,
    IndexResult,
    ParsedDocument,
    Passage,
    Progress,
    Section,
    SparseVector,
)

if TYPE_CHECKING:
    from retrieval.chunking import Chunker
    from retrieval.embedding import Embedder, SentenceTransformerEmbedder, load_embedder
    from retrieval.parsing import parse_file, supported_extensions
    from retrieval.pipeline import Indexer
    from retrieval.search import Searcher
    from retrieval.sparse import SparseEncoder
    from retrieval.store import IndexedChunk, VectorStore, chunk_point_id, open_store

# Name -> module for names imported on first access.
_LAZY = {
    "Chunker": "retrieval.chunking",
    "Embedder": "retrieval.embedding",
    "SentenceTransformerEmbedder": "retrieval.embedding",
    "load_embedder": "retrieval.embedding",
    "parse_file": "retrieval.parsing",
    "supported_extensions": "retrieval.parsing",
    "Indexer": "retrieval.pipeline",
    "Searcher": "retrieval.search",
    "SparseEncoder": "retrieval.sparse",
    "IndexedChunk": "retrieval.store",
    "VectorStore": "retrieval.store",
    "chunk_point_id": "retrieval.store",
    "open_store": "retrieval.store",
}

__all__ = [
    "Chunk",
    "Chunker",
    "ChunkingConfig",
    "DocumentMeta",
    "DocumentTooLargeError",
    "Embedder",
    "EmbeddingConfig",
    "EmbeddingModelError",
    "EmptyDocumentError",
    "EncryptedDocumentError",
    "IndexConfigurationError",
    "IndexResult",
    "IndexUnavailableError",
    "IndexedChunk",
    "Indexer",
    "ParseError",
    "ParsedDocument",
    "ParsingConfig",
    "Passage",
    "Progress",
    "RetrievalError",
    "SearchConfig",
    "Searcher",
    "Section",
    "SentenceTransformerEmbedder",
    "SparseConfig",
    "SparseEncoder",
    "SparseVector",
    "StoreConfig",
    "UnsupportedFormatError",
    "VectorStore",
    "chunk_point_id",
    "load_embedder",
    "open_store",
    "parse_file",
    "supported_extensions",
]


def __getattr__(name: str) -> Any:
    """Import heavy public names lazily (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
