"""Portuguese retrieval: 13 company policies (12 in Portuguese, 1 in English) and 48 questions.

Each question's answer sits in exactly one section of one document
(tests/fixtures/pt/questions.json). The default embedding model (USE
multilingual) covers Portuguese; with an English-only model (MiniLM) the
searcher leans on Portuguese BM25 for these queries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import (
    DocumentMeta,
    Embedder,
    Indexer,
    Passage,
    SearchConfig,
    Searcher,
    SparseEncoder,
    embedder_languages,
)
from retrieval.store.edge import EdgeStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pt"
QUESTIONS = json.loads((FIXTURES / "questions.json").read_text(encoding="utf-8"))
GROUP = 7
TOP = 3


@dataclasses.dataclass
class Index:
    searcher: Searcher
    documents: dict[int, str]
    searcher_embedder: Embedder


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Index]:
    store = EdgeStore(tmp_path_factory.mktemp("pt") / "edge", dimension=embedder.dimension)
    sparse = SparseEncoder()
    indexer = Indexer(store=store, embedder=embedder, sparse=sparse)
    documents: dict[int, str] = {}
    for number, path in enumerate(sorted(FIXTURES.glob("*.md")), start=1):
        meta = DocumentMeta(number, 1, (GROUP,), "", hashlib.sha256(path.read_bytes()).hexdigest())
        indexer.index_file(path, meta=meta)
        documents[number] = path.name
    yield Index(Searcher(store=store, embedder=embedder, sparse=sparse), documents, embedder)
    store.close()


def _rank_of_answer(index: Index, question: dict[str, str], mode: str) -> int | None:
    """1-based rank of the passage holding the answer among the top 3, or None."""
    passages: list[Passage] = index.searcher.run(
        question["question"],
        allowed_group_ids=[GROUP],
        limit=TOP,
        config=SearchConfig(mode=mode),  # type: ignore[arg-type]
    ).passages
    for rank, passage in enumerate(passages, start=1):
        document = index.documents[passage.document_id]
        if document == question["document"] and question["answer"] in passage.text:
            return rank
    return None


def _scores(index: Index, mode: str) -> tuple[float, float]:
    ranks = [_rank_of_answer(index, q, mode) for q in QUESTIONS]
    hit_rate = sum(rank is not None for rank in ranks) / len(ranks)
    mrr = sum(1 / rank for rank in ranks if rank is not None) / len(ranks)
    return hit_rate, mrr


def test_the_fixture_set_is_big_enough_and_unambiguous() -> None:
    assert len(QUESTIONS) >= 30
    for question in QUESTIONS:
        text = (FIXTURES / question["document"]).read_text(encoding="utf-8")
        assert text.count(question["answer"]) == 1


def test_chunks_and_queries_are_detected_as_portuguese(index: Index) -> None:
    result = index.searcher.run("Quantos dias de férias eu tenho?", allowed_group_ids=[GROUP])

    assert result.language == "pt"
    # The default model covers Portuguese: the dense arm keeps its weight (an
    # English-only model's would be turned down to uncovered_dense_weight).
    assert "pt" in embedder_languages(index.searcher_embedder)
    assert result.dense_weight == SearchConfig().dense_weight
    assert result.passages[0].language == "pt"
    english = index.searcher.run("meal allowance per day", allowed_group_ids=[GROUP])
    assert english.language == "en"
    assert english.passages[0].language == "en"
    assert index.documents[english.passages[0].document_id] == "expenses-en.md"


def test_answer_passage_is_in_the_top_3_for_at_least_90_percent(index: Index) -> None:
    hit_rate, _ = _scores(index, "hybrid")

    assert hit_rate >= 0.9


def test_hybrid_is_never_worse_than_the_better_arm(index: Index) -> None:
    hybrid = _scores(index, "hybrid")
    dense = _scores(index, "dense")
    sparse = _scores(index, "sparse")

    assert hybrid[0] >= max(dense[0], sparse[0])
    assert hybrid[1] >= max(dense[1], sparse[1])
