"""Fusion of the two arms: values by hand, Qdrant's own formulas, and a stable order on ties."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import qdrant_edge as qe

from retrieval.fusion import ArmHit, fuse

DENSE = [ArmHit("a", 0.9), ArmHit("b", 0.7), ArmHit("c", 0.2)]
SPARSE = [ArmHit("c", 12.0), ArmHit("a", 4.0)]


def test_weighted_rrf_by_hand() -> None:
    fused = fuse(DENSE, SPARSE, method="rrf", dense_weight=1.0, sparse_weight=2.0, rrf_k=2)

    # 1 / (rank / weight + k - 1)
    a = 1 / (1 + 1) + 1 / (2 / 2 + 1)
    b = 1 / (2 + 1)
    c = 1 / (3 + 1) + 1 / (1 / 2 + 1)
    assert [(h.point_id, h.score) for h in fused] == [
        ("a", pytest.approx(a)),
        ("c", pytest.approx(c)),
        ("b", pytest.approx(b)),
    ]
    assert (fused[0].dense_rank, fused[0].sparse_rank) == (1, 2)
    assert (fused[0].dense_score, fused[0].sparse_score) == (0.9, 4.0)
    assert (fused[2].sparse_rank, fused[2].sparse_score) == (None, None)


def test_minmax_is_a_convex_combination_of_scaled_scores() -> None:
    fused = fuse(DENSE, SPARSE, method="minmax", dense_weight=0.3, sparse_weight=0.7)

    scores = {h.point_id: h.score for h in fused}
    assert scores == pytest.approx({"a": 0.3 * 1.0 + 0.0, "b": 0.3 * 0.5 / 0.7, "c": 0.7})
    assert [h.point_id for h in fused] == ["c", "a", "b"]


def test_coverage_divides_bm25_by_its_best_and_scales_by_the_arms_best_term_share() -> None:
    # The handbook case: BM25 found two pages through one word each ("work", "time")
    # with near-equal scores; the dense arm found the leave page first.
    dense = [ArmHit("leave", 0.38), ArmHit("parking", 0.09), ArmHit("welcome", 0.07)]
    sparse = [ArmHit("welcome", 1.18, coverage=1 / 3), ArmHit("leave", 1.14, coverage=1 / 3)]

    fused = fuse(dense, sparse, method="coverage", dense_weight=0.25, sparse_weight=0.75)
    minmax = fuse(dense, sparse, method="minmax", dense_weight=0.25, sparse_weight=0.75)

    scores = {h.point_id: h.score for h in fused}
    assert scores == pytest.approx(
        {
            "leave": 0.25 + 0.75 / 3 * 1.14 / 1.18,
            "welcome": 0.75 / 3,
            "parking": 0.25 * 0.02 / 0.31,
        }
    )
    assert [h.point_id for h in fused] == ["leave", "welcome", "parking"]
    assert [h.point_id for h in minmax][0] == "welcome"  # min-max: 1.0 against 0.0


def test_coverage_lets_bm25_lead_when_its_best_chunk_holds_every_term() -> None:
    dense = [ArmHit("x", 0.6), ArmHit("y", 0.5)]
    sparse = [ArmHit("y", 8.0, coverage=1.0), ArmHit("x", 2.0, coverage=0.5)]

    fused = fuse(dense, sparse, method="coverage", dense_weight=0.25, sparse_weight=0.75)

    assert {h.point_id: h.score for h in fused} == pytest.approx({"y": 0.75, "x": 0.25 + 0.1875})
    assert [h.point_id for h in fused] == ["y", "x"]


def test_coverage_without_known_term_shares_scales_bm25_by_its_best_only() -> None:
    fused = fuse(DENSE, SPARSE, method="coverage", dense_weight=0.5, sparse_weight=0.5)

    assert {h.point_id: h.score for h in fused} == pytest.approx(
        {"a": 0.5 + 0.5 * 4 / 12, "b": 0.5 * 0.5 / 0.7, "c": 0.5}
    )


def test_an_arm_with_weight_zero_only_breaks_ties() -> None:
    fused = fuse(DENSE, SPARSE, method="dbsf", dense_weight=1.0, sparse_weight=0.0)

    assert [h.point_id for h in fused] == ["a", "b", "c"]
    assert fused[2].sparse_rank == 1  # still reported


def test_equal_fused_scores_are_ordered_by_arm_ranks_then_point_id() -> None:
    # Under RRF k=2 with equal weights, dense #1 alone, BM25 #1 alone and #3 in
    # both arms all score 1/2: the best single rank wins, then the point id.
    dense = [ArmHit("m", 0.9), ArmHit("p", 0.8), ArmHit("z", 0.5)]
    sparse = [ArmHit("b", 9.0), ArmHit("r", 3.0), ArmHit("z", 1.0)]

    fused = fuse(dense, sparse, method="rrf", rrf_k=2)
    again = fuse(list(reversed(dense)), list(reversed(sparse)), method="rrf", rrf_k=2)

    assert [h.score for h in fused[:3]] == pytest.approx([0.5, 0.5, 0.5])
    assert [h.point_id for h in fused] == ["b", "m", "z", "p", "r"]
    assert again == fused


def test_tied_arm_scores_get_ranks_in_point_id_order() -> None:
    fused = fuse([ArmHit("b", 0.5), ArmHit("a", 0.5)], [], method="rrf", rrf_k=2)

    assert [(h.point_id, h.dense_rank) for h in fused] == [("a", 1), ("b", 2)]


@pytest.mark.parametrize("method", ["rrf", "dbsf"])
def test_same_scores_as_qdrants_own_fusion(tmp_path: Path, method: str) -> None:
    shard = qe.EdgeShard.create(
        str(tmp_path),
        qe.EdgeConfig(
            vectors={"d": qe.EdgeVectorParams(size=2, distance=qe.Distance.Cosine)},
            sparse_vectors={"s": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        ),
    )
    points = []
    for i in range(1, 7):
        angle = i * 0.25
        weight = float((3, 5, 2, 4, 1, 6)[i - 1])  # distinct: no tie to order
        vectors = {"d": [math.cos(angle), math.sin(angle)], "s": qe.SparseVector([1], [weight])}
        points.append(qe.Point(i, vectors, {}))
    shard.update(qe.UpdateOperation.upsert_points(points))
    dense_q = qe.Query.Nearest([1.0, 0.0], using="d")
    sparse_q = qe.Query.Nearest(qe.SparseVector([1], [1.0]), using="s")

    def arm(query: qe.Query) -> list[ArmHit]:
        request = qe.QueryRequest(limit=6, query=query, with_payload=False, with_vector=False)
        return [ArmHit(str(h.id), h.score) for h in shard.query(request)]

    fusion = qe.Fusion.Rrf(k=2, weights=[1.0, 2.0]) if method == "rrf" else qe.Fusion.Dbsf()
    native = shard.query(
        qe.QueryRequest(
            limit=6,
            prefetches=[qe.Prefetch(limit=6, query=dense_q), qe.Prefetch(limit=6, query=sparse_q)],
            query=fusion,  # type: ignore[arg-type]
            with_payload=False,
            with_vector=False,
        )
    )
    weights = {"dense_weight": 1.0, "sparse_weight": 2.0} if method == "rrf" else {}
    ours = fuse(arm(dense_q), arm(sparse_q), method=method, rrf_k=2, **weights)  # type: ignore[arg-type]
    shard.close()

    assert {h.point_id: h.score for h in ours} == pytest.approx(
        {str(h.id): h.score for h in native}, abs=1e-5
    )
