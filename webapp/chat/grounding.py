"""What counts as a relevant passage, and the embedder-backed sentence support check.

Relevance floor. Retrieval fuses a dense (meaning) arm and a BM25 (words) arm with
Qdrant's weighted reciprocal rank fusion, where a hit at rank ``r`` of an arm with
weight ``w`` scores ``1 / (r / w + k - 1)``. Fused scores are ranks, not
similarities: the dense arm returns its nearest chunks for *any* question, even one
the documents know nothing about. So a passage counts as relevant only when it
scores more than the best a single arm can give on its own, ``max_w 1 / (1/w + k - 1)``
(1/60 at k=60): with ``candidates`` <= 40 per arm, that means both the meaning and
the words of the question found it. A question nothing matches gets "I don't know"
instead of a guess from the nearest unrelated chunks.

When the store reports each passage's arm ranks (``dense_rank``, ``sparse_rank``)
the same rule is applied to them directly, which also holds once a cross-encoder
has replaced the fused score: relevant = found by both arms (by BM25 alone in
sparse-only mode). ``ENCLAVE_ANSWER_MIN_SCORE`` replaces the rule with a fixed floor
on ``score``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from retrieval import Embedder, Passage
from retrieval.config import SearchConfig

__all__ = ["embedding_similarity", "relevance_floor", "relevant_passages"]

logger = logging.getLogger(__name__)

_EPSILON = 1e-6


def relevance_floor(config: SearchConfig) -> float:
    """The best fused score a passage found by only one search arm can reach."""
    weights = [w for w in (config.dense_weight, config.sparse_weight) if w > 0]
    return max(1.0 / (1.0 / w + config.rrf_k - 1) for w in weights)


def _both_arms_found(passage: Passage, mode: str) -> bool | None:
    dense = getattr(passage, "dense_rank", None)
    sparse = getattr(passage, "sparse_rank", None)
    if dense is None and sparse is None:
        return None  # the store did not say: judge by score
    if mode == "dense":
        return True  # no words were compared: nothing to judge by
    return sparse is not None and (dense is not None or mode == "sparse")


def relevant_passages(
    passages: Sequence[Passage], *, config: SearchConfig, min_score: float | None = None
) -> list[Passage]:
    """The passages that count as relevant (see the module docstring), order kept."""
    floor = relevance_floor(config) if min_score is None else min_score
    mode = getattr(config, "mode", "hybrid")
    kept = []
    for passage in passages:
        verdict = None if min_score is not None else _both_arms_found(passage, mode)
        if verdict is None:
            reranked = getattr(passage, "rerank_score", None) is not None
            verdict = (reranked and min_score is None) or passage.score > floor + _EPSILON
        if verdict:
            kept.append(passage)
    if len(kept) < len(passages):
        logger.info(
            "relevance rule dropped %s of %s passages", len(passages) - len(kept), len(passages)
        )
    return kept


def embedding_similarity(embedder: Embedder) -> Callable[[str, Sequence[str]], list[float]]:
    """Cosine similarity of a sentence to candidate texts (vectors are normalised)."""
    cache: dict[str, list[float]] = {}

    def vector(texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embedder.embed_documents(missing), strict=True))
        return [cache[t] for t in texts]

    def similarity(sentence: str, candidates: Sequence[str]) -> list[float]:
        first, *others = vector([sentence, *candidates])
        return [sum(a * b for a, b in zip(first, other, strict=True)) for other in others]

    return similarity
