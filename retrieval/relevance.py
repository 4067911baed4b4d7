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
found in your documents". The thresholds depend on the embedding model (cosines of
two models are not comparable): ``CALIBRATED_GATES`` holds the values calibrated
on the dev splits of every evaluation set for each packaged model
(ops/bench/results/gate-<model>.md); a ``SearchConfig`` threshold left None takes
the embedding model's (``with_calibrated_gate``), one that is set overrides it. A
model nobody calibrated gets ``DEFAULT_GATE``; calibrate it with
``python -m ops.bench.eval_tune gate`` or on the site's own questions. A fixed
floor on the fused score (``min_score``, ENCLAVE_ANSWER_MIN_SCORE) replaces the rule.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.config import MINILM, USE_MULTILINGUAL_V3, SearchConfig
from retrieval.models import Passage

__all__ = [
    "CALIBRATED_GATES",
    "DEFAULT_GATE",
    "GateThresholds",
    "calibrated_gate",
    "is_relevant",
    "relevant_passages",
    "with_calibrated_gate",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateThresholds:
    """The gate's two thresholds: cosine (meaning) and share of BM25 terms (words)."""

    min_dense: float
    min_coverage: float


# Calibrated on the dev splits with the default fusion (docs/retrieval.md): first
# abstain on >= 90% of every unanswerable dev set, then answer as many answerable
# dev questions as possible.
CALIBRATED_GATES: dict[str, GateThresholds] = {
    USE_MULTILINGUAL_V3: GateThresholds(min_dense=0.36, min_coverage=0.55),
    MINILM: GateThresholds(min_dense=0.33, min_coverage=0.55),
}
DEFAULT_GATE = CALIBRATED_GATES[MINILM]


def calibrated_gate(model_name: str | None) -> GateThresholds:
    """The thresholds calibrated for ``model_name``; DEFAULT_GATE for any other model."""
    return CALIBRATED_GATES.get(model_name or "", DEFAULT_GATE)


def with_calibrated_gate(config: SearchConfig, model_name: str | None) -> SearchConfig:
    """``config`` with each threshold it leaves None set to ``model_name``'s calibrated one."""
    gate = calibrated_gate(model_name)
    return dataclasses.replace(
        config,
        relevance_min_dense=_or(config.relevance_min_dense, gate.min_dense),
        relevance_min_coverage=_or(config.relevance_min_coverage, gate.min_coverage),
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def is_relevant(passage: Passage, config: SearchConfig) -> bool:
    """Whether the passage's meaning or words match the question well enough (module docstring).

    A threshold ``config`` leaves None is DEFAULT_GATE's (see ``with_calibrated_gate``).
    """
    dense = passage.dense_score
    min_dense = _or(config.relevance_min_dense, DEFAULT_GATE.min_dense)
    if dense is not None and dense >= min_dense:
        return True
    coverage = passage.term_coverage
    return (
        coverage is not None
        and passage.sparse_rank is not None
        and coverage >= _or(config.relevance_min_coverage, DEFAULT_GATE.min_coverage)
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
