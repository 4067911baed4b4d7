"""The relevance gate: which found passages may ground an answer; none left means abstain.

A search always returns its nearest chunks, even for a question the documents
know nothing about, and fused scores are ranks, not evidence. So each passage is
judged on what its arms measured:

- meaning: the dense arm's cosine similarity between question and chunk
  (``Passage.dense_score``) reaches ``SearchConfig.relevance_min_dense`` (the
  searcher withholds it when the model does not cover the question's language:
  an English model puts any two Portuguese texts near 0.45); or
- words: the chunk holds at least ``SearchConfig.relevance_min_coverage`` of the
  question's BM25 terms (``Passage.term_coverage``, stemmed, stopwords out) and
  the BM25 arm found it.

A passage meeting neither is dropped; when none is left the caller answers "not
found in your documents". The thresholds were calibrated on the dev splits of
every evaluation set (ops/bench/results/gate-minilm.md): they depend on the embedding
model, so a site that changes model re-runs that calibration. A fixed floor on
the fused score (``min_score``, ENCLAVE_ANSWER_MIN_SCORE) replaces the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from retrieval.config import SearchConfig
from retrieval.models import Passage

__all__ = ["is_relevant", "relevant_passages"]

logger = logging.getLogger(__name__)


def is_relevant(passage: Passage, config: SearchConfig) -> bool:
    """Whether the passage's meaning or words match the question well enough (module docstring)."""
    dense = passage.dense_score
    if dense is not None and dense >= config.relevance_min_dense:
        return True
    coverage = passage.term_coverage
    return (
        coverage is not None
        and passage.sparse_rank is not None
        and coverage >= config.relevance_min_coverage
    )


def relevant_passages(
    passages: Sequence[Passage], *, config: SearchConfig, min_score: float | None = None
) -> list[Passage]:
    """The passages that may ground an answer, order kept; [] means abstain.

    ``min_score`` replaces the rule with a fixed floor on the fused score.
    """
    if min_score is not None:
        kept = [p for p in passages if p.score >= min_score]
    else:
        kept = [p for p in passages if is_relevant(p, config)]
    if len(kept) < len(passages):
        logger.info("relevance gate kept %s of %s passages", len(kept), len(passages))
    return kept
