"""The gate calibration's question sets and its cross-language what-if replay."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ops.bench.eval_replay import Question, Variant, _cross_language_table, _features, passages
from ops.bench.eval_sets import foreign_questions

# The shared evaluation data, read in place: ../shared/eval beside the checkout, or
# ENCLAVE_EVAL_ROOT (a git worktree lives elsewhere).
EVAL_ROOT = Path(
    os.environ.get("ENCLAVE_EVAL_ROOT")
    or Path(__file__).resolve().parents[3].parent / "shared" / "eval"
)
DEFAULT_FUSION = Variant("coverage", 0.25, 0.75)


def question(qid: str, detected: str | None, hits: list[list], relevant=None) -> Question:
    return Question(qid, "s", "tune", detected or "pt", True, True, relevant or {}, hits, detected)


def hit(doc: str, rank: int, cosine: float, language: str) -> list:
    # [doc, chunk, dense_rank, dense_score, sparse_rank, sparse_score, coverage, language]
    return [doc, 0, rank, cosine, None, None, 0.0, language]


@pytest.mark.skipif(not (EVAL_ROOT / "pira").is_dir(), reason=f"{EVAL_ROOT} is not present")
def test_unanswerable_questions_are_split_by_the_corpus_language() -> None:
    same = foreign_questions("pira-en", EVAL_ROOT, "dev")
    cross = foreign_questions("pira-en", EVAL_ROOT, "dev", cross_language=True)
    over_portuguese = foreign_questions("pira-pt", EVAL_ROOT, "dev", cross_language=True)

    assert set(same.languages.values()) == {"en"}
    assert set(cross.languages.values()) == {"pt"}
    assert set(over_portuguese.languages.values()) == {"en"}
    assert not set(same.queries) & set(cross.queries)
    assert (len(same.queries), len(cross.queries), len(over_portuguese.queries)) == (63, 53, 63)
    assert all(not judged for judged in cross.qrels.values())


def test_features_read_the_chunk_language_against_the_question_language() -> None:
    asked = question(
        "q1",
        "pt",
        [hit("english", 1, 0.33, "en"), hit("portuguese", 2, 0.30, "pt")]
        + [hit(f"d{n}", n, 0.20, "en") for n in range(3, 21)],
    )

    same, cross, share, margin = _features(asked, passages(asked, DEFAULT_FUSION))

    assert (same, cross, share) == (0.30, 0.33, -1.0)
    assert margin == pytest.approx(0.13)


def test_the_what_if_table_keeps_a_cross_language_answer_only_under_a_lower_floor() -> None:
    answerable = question("a", "pt", [hit("english", 1, 0.33, "en")], {"english": 1})
    unanswerable = question("u", "pt", [hit("english", 1, 0.27, "en")])
    sets = {
        "pira PT-EN dev": [answerable],
        "scifact unanswerable cross-language dev": [unanswerable],
    }
    found = {name: [passages(q, DEFAULT_FUSION) for q in qs] for name, qs in sets.items()}

    lines = _cross_language_table(sets, found, 0.36, 0.55)

    # one floor 0.36, then >= 0.26 0.28 0.30 0.32 0.34 0.40, then 0.28 with a margin.
    assert lines[4] == (
        "| pira PT-EN dev | dev | 0.000 | 1.000 | 1.000 | 1.000 | 1.000 | 0.000 | 0.000 | 0.000 |"
    )
    assert lines[5] == (
        "| scifact unanswerable cross-language dev | dev | 1.000 | 0.000 | 1.000 | 1.000 "
        "| 1.000 | 1.000 | 1.000 | 1.000 |"
    )
