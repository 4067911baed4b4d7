"""Evaluation metrics and BEIR loading, with hand-computed values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from retrieval import Passage
from retrieval.evaluation import (
    documents_ranked,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)

RANKED = ["d3", "d1", "d7", "d2", "d9"]
QRELS = {"d1": 1, "d2": 1, "d5": 1}


def test_ndcg_at_10_on_hand_made_qrels() -> None:
    # Relevant at ranks 2 and 4; ideal: three relevant at ranks 1..3.
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)

    assert ndcg_at_k(RANKED, QRELS, 10) == pytest.approx(dcg / idcg, abs=1e-12)
    assert round(ndcg_at_k(RANKED, QRELS, 10), 4) == 0.4982


def test_ndcg_uses_graded_gains_and_is_one_for_the_ideal_order() -> None:
    graded = {"a": 2, "b": 1}

    assert ndcg_at_k(["a", "b", "x"], graded, 10) == 1.0
    swapped = (1 / 1 + 2 / math.log2(3)) / (2 / 1 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "a"], graded, 10) == pytest.approx(swapped, abs=1e-12)
    assert ndcg_at_k(["x", "y"], graded, 10) == 0.0
    assert ndcg_at_k(["a"], {}, 10) == 0.0


def test_ndcg_cuts_at_k() -> None:
    assert ndcg_at_k(["x", "a"], {"a": 1}, 1) == 0.0
    assert ndcg_at_k(["x", "a"], {"a": 1}, 2) == pytest.approx(1 / math.log2(3), abs=1e-12)


def test_recall_at_k() -> None:
    assert recall_at_k(RANKED, QRELS, 10) == pytest.approx(2 / 3, abs=1e-12)
    assert recall_at_k(RANKED, QRELS, 2) == pytest.approx(1 / 3, abs=1e-12)
    assert recall_at_k(RANKED, QRELS, 1) == 0.0
    assert recall_at_k(RANKED, {"d1": 0}, 10) == 0.0


def test_mrr_at_k() -> None:
    assert mrr_at_k(RANKED, QRELS, 10) == 0.5
    assert mrr_at_k(RANKED, {"d9": 1}, 10) == 0.2
    assert mrr_at_k(RANKED, {"d9": 1}, 4) == 0.0
    assert mrr_at_k(RANKED, {"d3": 1}, 10) == 1.0


def _passage(document_id: int, chunk_index: int) -> Passage:
    return Passage(document_id, 1, chunk_index, "t", "", None, "", 0.0)


def test_chunks_roll_up_to_documents_by_their_best_chunk() -> None:
    passages = [_passage(2, 0), _passage(1, 3), _passage(2, 1), _passage(3, 0), _passage(1, 0)]

    assert documents_ranked(passages, {1: "a", 2: "b", 3: "c"}) == ["b", "a", "c"]


def _write_beir(root: Path) -> Path:
    corpus = [{"_id": f"c{i}", "title": f"Title {i}", "text": f"Text {i}"} for i in range(1, 7)]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(row) for row in corpus) + "\n")
    queries = [{"_id": f"q{i}", "text": f"Question {i}"} for i in range(1, 4)]
    (root / "queries.jsonl").write_text("\n".join(json.dumps(row) for row in queries))
    (root / "qrels").mkdir()
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\tc5\t1\nq2\tc6\t2\nq2\tc5\t1\nq3\tc2\t0\n"
    )
    return root


def test_load_beir_reads_all_three_files(tmp_path: Path) -> None:
    data = load_beir(_write_beir(tmp_path))

    assert data.queries == {"q1": "Question 1", "q2": "Question 2", "q3": "Question 3"}
    assert data.qrels == {"q1": {"c5": 1}, "q2": {"c6": 2, "c5": 1}, "q3": {"c2": 0}}
    assert len(data.corpus) == 6
    assert data.corpus["c4"] == ("Title 4", "Text 4")


def test_load_beir_subset_keeps_the_judged_documents_first(tmp_path: Path) -> None:
    data = load_beir(_write_beir(tmp_path), limit_queries=2, limit_docs=3)

    assert list(data.queries) == ["q1", "q2"]
    assert list(data.corpus) == ["c5", "c6", "c1"]
