"""Enclave retrieval: parsing, chunking, embeddings, BM25, vector stores and hybrid search.

A plain library configured through constructors; it imports nothing of Django,
Celery, the web app, the worker or inference. Heavy modules (torch, qdrant) load
on first use of the name that needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# First: the variable that keeps onnxruntime from phoning home (retrieval/telemetry.py).
from retrieval import telemetry as _telemetry  # noqa: F401
from retrieval.config import (
    MINILM,
    PACKAGED_MODELS,
    USE_MULTILINGUAL_V3,
    ChunkingConfig,
    EmbeddingConfig,
    ParsingConfig,
    RerankConfig,
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
from retrieval.relevance import (
    calibrated_gate,
    is_relevant,
    relevant_passages,
    with_calibrated_gate,
)

if TYPE_CHECKING:
    from retrieval.batching import EmbeddingBatcher, QueryBatcher, QueryFirst
    from retrieval.chunking import Chunker, index_text
    from retrieval.embedding import (
        Embedder,
        SentenceTransformerEmbedder,
        embedder_languages,
        embedding_identity,
        load_embedder,
        resolved_backend,
        runnable_backend,
    )
    from retrieval.language import LanguageDetector
    from retrieval.parsing import parse_file, supported_extensions
    from retrieval.pipeline import Indexer
    from retrieval.rerank import CrossEncoderReranker, Reranker, load_reranker
    from retrieval.search import Searcher, SearchResult
    from retrieval.shaping import shape_passages
    from retrieval.sparse import SparseEncoder
    from retrieval.store import (
        IndexedChunk,
        VectorStore,
        chunk_point_id,
        index_store_config,
        open_store,
    )
    from retrieval.store.edge_compaction import Compactable

# Name -> module for names imported on first access.
_LAZY = {
    "EmbeddingBatcher": "retrieval.batching",
    "QueryBatcher": "retrieval.batching",
    "QueryFirst": "retrieval.batching",
    "Chunker": "retrieval.chunking",
    "index_text": "retrieval.chunking",
    "embedder_languages": "retrieval.embedding",
    "embedding_identity": "retrieval.embedding",
    "LanguageDetector": "retrieval.language",
    "CrossEncoderReranker": "retrieval.rerank",
    "Reranker": "retrieval.rerank",
    "load_reranker": "retrieval.rerank",
    "SearchResult": "retrieval.search",
    "shape_passages": "retrieval.shaping",
    "Embedder": "retrieval.embedding",
    "SentenceTransformerEmbedder": "retrieval.embedding",
    "load_embedder": "retrieval.embedding",
    "runnable_backend": "retrieval.embedding",
    "resolved_backend": "retrieval.embedding",
    "parse_file": "retrieval.parsing",
    "supported_extensions": "retrieval.parsing",
    "Indexer": "retrieval.pipeline",
    "Searcher": "retrieval.search",
    "SparseEncoder": "retrieval.sparse",
    "IndexedChunk": "retrieval.store",
    "Compactable": "retrieval.store.edge_compaction",
    "VectorStore": "retrieval.store",
    "chunk_point_id": "retrieval.store",
    "open_store": "retrieval.store",
    "index_store_config": "retrieval.store",
}

__all__ = [
    "MINILM",
    "PACKAGED_MODELS",
    "USE_MULTILINGUAL_V3",
    "Chunk",
    "Chunker",
    "ChunkingConfig",
    "Compactable",
    "CrossEncoderReranker",
    "DocumentMeta",
    "DocumentTooLargeError",
    "Embedder",
    "EmbeddingBatcher",
    "EmbeddingConfig",
    "EmbeddingModelError",
    "EmptyDocumentError",
    "EncryptedDocumentError",
    "IndexConfigurationError",
    "IndexResult",
    "IndexUnavailableError",
    "IndexedChunk",
    "Indexer",
    "LanguageDetector",
    "ParseError",
    "ParsedDocument",
    "ParsingConfig",
    "Passage",
    "Progress",
    "QueryBatcher",
    "QueryFirst",
    "RerankConfig",
    "Reranker",
    "RetrievalError",
    "SearchConfig",
    "SearchResult",
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
    "embedder_languages",
    "index_store_config",
    "embedding_identity",
    "calibrated_gate",
    "is_relevant",
    "relevant_passages",
    "with_calibrated_gate",
    "index_text",
    "load_embedder",
    "load_reranker",
    "open_store",
    "parse_file",
    "resolved_backend",
    "runnable_backend",
    "shape_passages",
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
