"""Fusion of the dense and BM25 arms into one ranking, computed here from the arms' scores.

Each arm hands over its best ``SearchConfig.candidates`` chunks with their raw
scores (cosine similarity, BM25). The fused score is one of:

- ``rrf``: weighted reciprocal rank fusion as Qdrant computes it, a hit at
  1-based rank ``r`` of an arm with weight ``w`` scoring ``1 / (r / w + k - 1)``;
- ``dbsf``: distribution-based score fusion (Qdrant's ``Fusion.Dbsf``, weighted):
  each arm's scores are mapped to [0, 1] between mean - 3 sd and mean + 3 sd of
  that arm's candidates, then summed with the arm weights;
- ``minmax``: a convex combination of each arm's scores scaled to [0, 1] by the
  arm's own minimum and maximum;
- ``coverage`` (the default): the dense arm min-max scaled as in ``minmax``; each
  BM25 score divided by the arm's best, times the arm's confidence: the largest
  share of the question's BM25 terms that any of its chunks holds
  (``ArmHit.coverage``). Min-max turns the best of a few weak lexical matches
  into 1.0 and a near-equal second into 0.0 (one shared word, "work", beat the
  page a paraphrase was about); dividing by the best keeps near-equal scores
  near-equal, and a question whose words the documents hardly contain (a
  paraphrase, another language) lets the dense arm lead.

A chunk missing from an arm gets nothing from it. Raw scores count to
``SCORE_DECIMALS`` decimals: float noise below that (the same text embedded in
another batch, a query vector recomputed) must not reorder anything. Ties are
broken the same way every time: within an arm by point id; after fusion by the
better of the chunk's two arm ranks, then the other rank, then the point id. So
the same query over the same index always returns the same order.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "SCORE_DECIMALS",
    "ArmHit",
    "FusedHit",
    "FusionMethod",
    "fuse",
    "lexical_confidence",
    "ranked",
]

FusionMethod = Literal["rrf", "dbsf", "minmax", "coverage"]
# Arm scores equal to this many decimals are ties: cosine similarities of one text
# embedded in two batches differ around the 8th decimal.
SCORE_DECIMALS = 6
# Fused scores equal to this many decimals are ties (float sums of the same terms
# in another order differ in the last bits).
_DECIMALS = 9
_ABSENT = math.inf


@dataclass(frozen=True)
class ArmHit:
    """One chunk found by one arm: its point id, the arm's raw score and, for BM25,
    the share of the question's terms the chunk holds (None = not known)."""

    point_id: str
    score: float
    coverage: float | None = None


@dataclass(frozen=True)
class FusedHit:
    """A chunk after fusion: fused score, and its rank and raw score in each arm (None = absent)."""

    point_id: str
    score: float
    dense_rank: int | None = None
    sparse_rank: int | None = None
    dense_score: float | None = None
    sparse_score: float | None = None


def ranked(hits: Sequence[ArmHit]) -> list[ArmHit]:
    """One arm's hits best first, scores rounded, equal ones in point-id order.

    Engines leave ties unordered, and float noise makes near-ties flip.
    """
    rounded = [dataclasses.replace(hit, score=round(hit.score, SCORE_DECIMALS)) for hit in hits]
    return sorted(rounded, key=lambda hit: (-hit.score, hit.point_id))


def fuse(
    dense: Sequence[ArmHit],
    sparse: Sequence[ArmHit],
    *,
    method: FusionMethod = "rrf",
    dense_weight: float = 1.0,
    sparse_weight: float = 1.0,
    rrf_k: int = 2,
) -> list[FusedHit]:
    """Fuse the two arms' hits into one list, best first, with a deterministic order."""
    dense, sparse = ranked(dense), ranked(sparse)
    if method == "coverage":
        contributions = (
            _contributions(dense, "minmax", dense_weight, rrf_k),
            _lexical(sparse, sparse_weight),
        )
    else:
        contributions = (
            _contributions(dense, method, dense_weight, rrf_k),
            _contributions(sparse, method, sparse_weight, rrf_k),
        )
    dense_at = {hit.point_id: (rank, hit.score) for rank, hit in enumerate(dense, start=1)}
    sparse_at = {hit.point_id: (rank, hit.score) for rank, hit in enumerate(sparse, start=1)}
    fused = []
    for point_id in dict.fromkeys([*dense_at, *sparse_at]):
        d_rank, d_score = dense_at.get(point_id, (None, None))
        s_rank, s_score = sparse_at.get(point_id, (None, None))
        score = sum(part.get(point_id, 0.0) for part in contributions)
        fused.append(FusedHit(point_id, score, d_rank, s_rank, d_score, s_score))
    fused.sort(key=_order)
    return fused


def _order(hit: FusedHit) -> tuple[float, float, float, str]:
    ranks = sorted(_ABSENT if r is None else r for r in (hit.dense_rank, hit.sparse_rank))
    return (-round(hit.score, _DECIMALS), ranks[0], ranks[1], hit.point_id)


def lexical_confidence(hits: Sequence[ArmHit]) -> float:
    """The largest share of the question's terms any BM25 hit holds (1.0 when not known)."""
    known = [hit.coverage for hit in hits if hit.coverage is not None]
    return max(known) if known else 1.0


def _lexical(hits: Sequence[ArmHit], weight: float) -> Mapping[str, float]:
    """BM25 scores over the arm's best, times the arm's confidence (``coverage`` method)."""
    if not hits or weight <= 0:
        return {}
    best = max(hit.score for hit in hits)
    scale = weight * lexical_confidence(hits)
    if best <= 0:
        return {hit.point_id: scale for hit in hits}
    return {hit.point_id: scale * max(0.0, hit.score) / best for hit in hits}


def _contributions(
    hits: Sequence[ArmHit], method: FusionMethod, weight: float, rrf_k: int
) -> Mapping[str, float]:
    if not hits or weight <= 0:
        return {}
    if method == "rrf":
        return {h.point_id: 1.0 / (r / weight + rrf_k - 1) for r, h in enumerate(hits, start=1)}
    scores = [h.score for h in hits]
    if method == "dbsf":
        mean = sum(scores) / len(scores)
        spread = (
            math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
            if len(scores) > 1
            else 0.0
        )
        low, high = mean - 3 * spread, mean + 3 * spread
    elif method == "minmax":
        low, high = min(scores), max(scores)
    else:
        raise ValueError(f"Unknown fusion method: {method!r}")
    if high - low <= 0:
        return {h.point_id: weight for h in hits}  # one hit, or all equal: each the arm's best
    return {h.point_id: weight * min(1.0, max(0.0, (h.score - low) / (high - low))) for h in hits}
