"""Evaluation metrics and data set loading, with hand-computed values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from retrieval import Passage, SearchConfig
from retrieval.eval_data import load_dataset, load_question_set, load_squad
from retrieval.evaluation import (
    EvaluationReport,
    ModeResult,
    QueryOutcome,
    documents_ranked,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    rank_of_relevant,
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


def test_recall_at_1_3_5_on_a_hand_made_ranking() -> None:
    # One relevant document at rank 3, another at rank 5, a third never found.
    ranked = ["x", "y", "d1", "z", "d2", "w"]
    qrels = {"d1": 1, "d2": 1, "d3": 1}

    assert recall_at_k(ranked, qrels, 1) == 0.0
    assert recall_at_k(ranked, qrels, 3) == pytest.approx(1 / 3, abs=1e-12)
    assert recall_at_k(ranked, qrels, 5) == pytest.approx(2 / 3, abs=1e-12)
    assert rank_of_relevant(ranked, qrels) == 3
    assert rank_of_relevant(ranked, {"d9": 1}) is None


def test_mode_result_averages_recall_at_1_3_5_over_queries() -> None:
    result = ModeResult(mode="hybrid")
    result.add(["a", "b", "c"], {"a": 1})  # found first
    result.add(["b", "c", "a", "d"], {"a": 1})  # found third
    result.add(["b", "c"], {"a": 1})  # not found
    result.per_query_ndcg10 = {"1": 1.0, "2": 0.5, "3": 0.0}

    result.finish(3)

    assert (result.recall1, result.recall3, result.recall5) == pytest.approx((1 / 3, 2 / 3, 2 / 3))
    assert result.mrr10 == pytest.approx((1 + 1 / 3) / 3)
    assert result.ndcg10 == 0.5


def test_per_query_lines_give_each_modes_rank_and_top_documents() -> None:
    report = EvaluationReport(
        results=[],
        documents=3,
        chunks=3,
        queries=1,
        split="dev",
        search=SearchConfig(),
        outcomes=[
            QueryOutcome("q1", "pt", "bm25", 1, ("a", "b")),
            QueryOutcome("q1", "pt", "dense", None, ("b", "c")),
        ],
    )

    (line,) = report.per_query_lines()

    assert json.loads(line) == {
        "id": "q1",
        "language": "pt",
        "rank": {"bm25": 1, "dense": None},
        "top": {"bm25": ["a", "b"], "dense": ["b", "c"]},
    }


def test_squad_paragraphs_become_documents(tmp_path: Path) -> None:
    data = {
        "data": [
            {
                "title": "REGULAMENTO_GERAL",
                "paragraphs": [
                    {"context": "primeiro", "qas": [{"id": "a", "question": "Qual?"}]},
                    {"context": "segundo", "qas": [{"id": "b", "question": "Onde?"}]},
                ],
            }
        ]
    }
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data))

    squad = load_squad(path)

    assert squad.corpus == {
        "train:0:regulamento geral#0": ("regulamento geral", "primeiro"),
        "train:0:regulamento geral#1": ("regulamento geral", "segundo"),
    }
    assert squad.qrels == {
        "a": {"train:0:regulamento geral#0": 1},
        "b": {"train:0:regulamento geral#1": 1},
    }


def test_pira_questions_in_either_language_over_either_corpus(tmp_path: Path) -> None:
    (tmp_path / "qrels").mkdir()
    for name, text in (("corpus.jsonl", "ocean"), ("corpus_pt_mt.jsonl", "oceano")):
        (tmp_path / name).write_text(json.dumps({"_id": "d1", "title": "", "text": text}) + "\n")
    for name, text in (("queries_dev_pt.jsonl", "O que?"), ("queries_dev_en.jsonl", "What?")):
        (tmp_path / name).write_text(json.dumps({"_id": "A1", "text": text}) + "\n")
    for language in ("pt", "en"):
        (tmp_path / "qrels" / f"dev_{language}.tsv").write_text(
            "query-id\tcorpus-id\tscore\nA1\td1\t1\n"
        )

    cross = load_dataset(tmp_path, split="dev", language="pt", corpus="en")
    reverse = load_dataset(tmp_path, split="dev", language="en", corpus="pt")

    assert (cross.queries, cross.corpus["d1"][1], cross.languages) == (
        {"A1": "O que?"},
        "ocean",
        {"A1": "pt"},
    )
    assert (reverse.queries, reverse.corpus["d1"][1]) == ({"A1": "What?"}, "oceano")
    assert cross.qrels == reverse.qrels == {"A1": {"d1": 1}}


def test_question_set_reads_files_and_splits(tmp_path: Path) -> None:
    docs = tmp_path / "eval" / "docs"
    (docs / "hr").mkdir(parents=True)
    (docs / "hr" / "leave.md").write_text("Leave: 240 hours.")
    (docs / "hr" / "notes.txt").write_text("not in the set")
    sets = tmp_path / "set"
    sets.mkdir()
    (sets / "set.json").write_text(json.dumps({"docs": "docs", "files": ["hr/*.md"]}))
    rows = [
        {
            "id": "1",
            "question": "Leave?",
            "language": "en",
            "split": "dev",
            "doc": "hr/leave.md",
            "answer": "240 hours",
            "facts": ["240 hours"],
            "answerable": True,
        },
        {
            "id": "2",
            "question": "Cor?",
            "language": "pt",
            "split": "dev",
            "doc": None,
            "answer": None,
            "facts": [],
            "answerable": False,
        },
        {
            "id": "3",
            "question": "Leave?",
            "language": "en",
            "split": "test",
            "doc": "hr/leave.md",
            "answer": "240 hours",
            "facts": ["240 hours"],
            "answerable": True,
        },
    ]
    (sets / "q.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    dev = load_question_set(sets / "q.jsonl", eval_root=tmp_path / "eval", split="dev")

    assert dev.files == {"hr/leave.md": docs / "hr" / "leave.md"}
    assert dev.qrels == {"1": {"hr/leave.md": 1}, "2": {}}
    assert dev.languages == {"1": "en", "2": "pt"}
    assert list(dev.answerable().queries) == ["1"]
    assert list(dev.unanswerable().queries) == ["2"]
