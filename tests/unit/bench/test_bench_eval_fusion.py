"""The query-adaptive fusion variants of the replay grid (ops/bench/eval_replay.py)."""

from __future__ import annotations

import pytest

from ops.bench.eval_replay import Question, Variant, adaptive_weight, fused
from retrieval.fusion import ArmHit

DEFAULT = Variant("coverage", 0.25, 0.75)
TERMS = Variant("coverage", 0.25, adapt="terms", floor=0.0, low=0.4, high=0.5)
MARGIN = Variant("coverage", 0.3, adapt="margin", floor=0.05, low=0.03, high=0.5)
LANGUAGE = Variant("coverage", 0.25, adapt="language", floor=0.0)


def question(hits: list[list], detected: str = "pt") -> Question:
    return Question("q", "s", "tune", detected, True, True, {}, hits, detected)


def row(doc: str, dense: tuple[int, float] | None, bm25: tuple[int, float] | None, share: float,
        language: str = "pt") -> list:  # fmt: skip
    # [doc, chunk, dense_rank, dense_score, sparse_rank, sparse_score, coverage, language]
    d_rank, d_score = dense or (None, None)
    s_rank, s_score = bm25 or (None, None)
    return [doc, 0, d_rank, d_score, s_rank, s_score, share, language]


def arms(asked: Question) -> tuple[list[ArmHit], list[ArmHit]]:
    dense = [ArmHit(f"{h[0]}#0", h[3]) for h in asked.hits if h[2] is not None]
    sparse = [ArmHit(f"{h[0]}#0", h[5], h[6]) for h in asked.hits if h[4] is not None]
    return dense, sparse


# BM25 and the dense arm disagree at rank 1: "lexical" holds most of the question's
# terms, "semantic" is the dense arm's first and BM25's near-equal second.
def disagreeing(share: float) -> Question:
    return question(
        [
            row("lexical", (3, 0.40), (1, 10.0), share),
            row("semantic", (1, 0.60), (2, 9.5), share - 0.1),
            row("other", (2, 0.50), None, 0.0),
        ]
    )


def test_terms_rule_ramps_the_dense_weight_down_as_bm25_covers_the_question() -> None:
    asked = [disagreeing(share) for share in (0.3, 0.45, 0.8)]

    weights = [adaptive_weight(q, TERMS, *arms(q)) for q in asked]

    assert weights == pytest.approx([0.25, 0.125, 0.0])


def test_a_question_bm25_covers_keeps_bm25_first_where_the_default_lets_dense_win() -> None:
    asked = disagreeing(0.8)

    assert [h.point_id for h in fused(asked, DEFAULT)] == ["semantic#0", "lexical#0", "other#0"]
    assert [h.point_id for h in fused(asked, TERMS)] == ["lexical#0", "semantic#0", "other#0"]


def test_margin_rule_gives_a_peaked_dense_arm_its_floor_weight() -> None:
    peaked = disagreeing(0.8)
    flat = question([row(f"d{n}", (n, 0.50 - n / 1000), (n, 10.0 - n), 0.8) for n in range(1, 11)])

    assert adaptive_weight(disagreeing(0.3), MARGIN, *arms(disagreeing(0.3))) == 0.3
    assert adaptive_weight(peaked, MARGIN, *arms(peaked)) == 0.05
    assert adaptive_weight(flat, MARGIN, *arms(flat)) == 0.0


def test_language_rule_weights_dense_when_bm25_best_chunk_is_in_another_language() -> None:
    cross = question([row("english", (1, 0.5), (1, 3.0), 0.2, "en")], detected="pt")
    same = question([row("portuguese", (1, 0.5), (1, 3.0), 0.2, "pt")], detected="pt")

    assert adaptive_weight(cross, LANGUAGE, *arms(cross)) == 0.25
    assert adaptive_weight(same, LANGUAGE, *arms(same)) == 0.0
