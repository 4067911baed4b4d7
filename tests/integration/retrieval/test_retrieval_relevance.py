"""The relevance gate and a stable ranking, at the default settings, over real company policies.

The corpus is tests/fixtures/pt (12 Portuguese policies and one English one),
indexed by the real Indexer into Qdrant Edge with the packaged model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import (
    DocumentMeta,
    Embedder,
    Indexer,
    SearchConfig,
    Searcher,
    SparseEncoder,
    relevant_passages,
)
from retrieval.store.edge import EdgeStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pt"
QUESTIONS = json.loads((FIXTURES / "questions.json").read_text(encoding="utf-8"))
GROUP = 3


@pytest.fixture(scope="module")
def policies(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[Searcher, dict[int, str]]]:
    store = EdgeStore(tmp_path_factory.mktemp("policies") / "edge", dimension=embedder.dimension)
    sparse = SparseEncoder()
    indexer = Indexer(store=store, embedder=embedder, sparse=sparse)
    names: dict[int, str] = {}
    for number, path in enumerate(sorted(FIXTURES.glob("*.md")), start=1):
        meta = DocumentMeta(number, 1, (GROUP,), "", hashlib.sha256(path.read_bytes()).hexdigest())
        indexer.index_file(path, meta=meta)
        names[number] = path.name
    yield Searcher(store=store, embedder=embedder, sparse=sparse), names
    store.close()


def _gate(searcher: Searcher, question: str) -> list:
    found = searcher.search(question, allowed_group_ids=[GROUP], limit=6)
    assert found, "the search always returns its nearest chunks"
    return relevant_passages(found, config=SearchConfig())


@pytest.mark.parametrize(
    "question",
    [
        "What is the CEO's favourite colour?",
        "What is Petrobras' share price today?",
        "Qual é a cor favorita do CEO?",
        "Qual é o preço da ação da Petrobras hoje?",
    ],
)
def test_gate_abstains_on_an_off_topic_question(
    policies: tuple[Searcher, dict[int, str]], question: str
) -> None:
    searcher, _ = policies

    assert _gate(searcher, question) == []


@pytest.mark.parametrize(
    ("question", "document"),
    [
        # With the English-only packaged model a Portuguese question is judged by
        # its words alone: 34 of the 48 fixture questions keep their passage
        # (docs/retrieval.md); these are among them.
        ("Com quanta antecedência preciso pedir férias?", "ferias.md"),
        ("Quantos dias dura a licença-maternidade?", "licencas.md"),
        ("How much can I spend per day on meals when travelling?", "expenses-en.md"),
    ],
)
def test_gate_keeps_the_passage_that_answers(
    policies: tuple[Searcher, dict[int, str]], question: str, document: str
) -> None:
    searcher, names = policies

    kept = _gate(searcher, question)

    assert document in {names[p.document_id] for p in kept}


def test_same_questions_twenty_times_give_the_same_passages_in_the_same_order(
    policies: tuple[Searcher, dict[int, str]],
) -> None:
    searcher, _ = policies
    questions = [q["question"] for q in QUESTIONS[:12]]

    def ask() -> list[list[tuple[int, int, float]]]:
        return [
            [
                (p.document_id, p.chunk_index, p.score)
                for p in searcher.search(q, allowed_group_ids=[GROUP], limit=6)
            ]
            for q in questions
        ]

    first = ask()
    assert all(first)
    for _ in range(19):
        assert ask() == first
