"""Optional cross-encoder reranking of the fused candidates, from a local model directory.

No cross-encoder ships on PyPI, so reranking is off unless a site points
``RerankConfig.model_dir`` at a sentence-transformers CrossEncoder directory
(for example ms-marco-MiniLM-L-6-v2 copied onto the machine). A MiniLM-size
cross-encoder costs on the order of a second for 20 passages on 2 CPU cores:
the searcher reports its time separately from the search.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from retrieval.config import RerankConfig
from retrieval.errors import EmbeddingModelError
from retrieval.models import Passage
from retrieval.once import KeyedOnce

__all__ = ["CrossEncoderReranker", "Reranker", "load_reranker"]

logger = logging.getLogger(__name__)


@runtime_checkable
class Reranker(Protocol):
    """Rescores passages against a query; returns them best first."""

    candidates: int

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        """Return ``passages`` reordered by relevance to ``query``, scores replaced."""
        ...


class CrossEncoderReranker:
    """Reranker on a local sentence-transformers CrossEncoder directory."""

    def __init__(self, config: RerankConfig) -> None:
        if config.model_dir is None:
            raise ValueError("RerankConfig.model_dir is required for a cross-encoder")
        self._config = config
        self.candidates = config.candidates
        self._model = _load(config)

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        """Score each (query, title + passage) pair; best first, ``score`` = the model's score."""
        if not passages:
            return []
        pairs = [(query, _pair_text(p)) for p in passages]
        started = time.perf_counter()
        try:
            scores = self._model.predict(
                pairs,
                batch_size=self._config.batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        except Exception as exc:
            raise EmbeddingModelError(
                f"The reranker failed to score passages: {type(exc).__name__}."
            ) from exc
        logger.debug(
            "reranked passages=%s ms=%.1f", len(pairs), (time.perf_counter() - started) * 1000
        )
        rescored = [
            dataclasses.replace(p, score=float(s), rerank_score=float(s))
            for p, s in zip(passages, scores.tolist(), strict=True)
        ]
        # Stable sort: ties keep the fused order.
        return sorted(rescored, key=lambda p: -p.score)


_rerankers: KeyedOnce[RerankConfig, CrossEncoderReranker] = KeyedOnce()


def load_reranker(config: RerankConfig) -> Reranker | None:
    """The process-wide reranker for ``config``; None when no model directory is configured."""
    if config.model_dir is None:
        return None
    return _rerankers.get(config, lambda: CrossEncoderReranker(config))


def _pair_text(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text


def _load(config: RerankConfig) -> Any:
    model_dir = config.model_dir
    assert model_dir is not None
    if not (model_dir / "config.json").is_file():
        raise EmbeddingModelError(f"No cross-encoder model found in {model_dir}.")
    started = time.perf_counter()
    try:
        import torch
        from sentence_transformers import CrossEncoder

        if config.threads:
            torch.set_num_threads(config.threads)
        model = CrossEncoder(
            str(model_dir),
            device=config.device,
            max_length=config.max_length,
            local_files_only=True,
            trust_remote_code=False,
        )
    except Exception as exc:
        raise EmbeddingModelError(
            f"The reranker in {model_dir} could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    logger.info("reranker loaded dir=%s seconds=%.2f", model_dir, time.perf_counter() - started)
    return model
