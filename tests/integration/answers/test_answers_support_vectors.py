"""The support check embeds a passage's sentences once per process, not once per answer."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from retrieval import Embedder, EmbeddingConfig, load_embedder
from webapp.chat.grounding import embedding_similarity

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PASSAGE_SENTENCES = [
    "Every employee is entitled to twenty-seven days of paid annual leave per year.",
    "Unused leave may be carried over until the end of March.",
]


class CountingEmbedder:
    """The real model, remembering which texts it was asked to embed."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.dimension = real.dimension
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += texts
        return self.real.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


@pytest.fixture(scope="module")
def model() -> Embedder:
    return load_embedder(EmbeddingConfig(threads=1))


def test_a_later_answer_embeds_only_its_own_sentences(model: Embedder) -> None:
    embedder = CountingEmbedder(model)
    first = embedding_similarity(embedder)("Employees get twenty-seven days.", PASSAGE_SENTENCES)
    assert embedder.embedded == ["Employees get twenty-seven days.", *PASSAGE_SENTENCES]

    # The next answer: the passage sentences' vectors are kept, the new sentence is embedded.
    second = embedding_similarity(embedder)
    again = second("Employees get twenty-seven days.", PASSAGE_SENTENCES)
    other = second("Leave can be carried over until March.", PASSAGE_SENTENCES)
    assert embedder.embedded[3:] == [
        "Employees get twenty-seven days.",
        "Leave can be carried over until March.",
    ]
    assert again == pytest.approx(first, abs=1e-6)
    assert other[1] > other[0]

    # Another model (a rebuilt index) has vectors of its own.
    rebuilt = CountingEmbedder(model)
    embedding_similarity(rebuilt)("Employees get twenty-seven days.", PASSAGE_SENTENCES)
    assert rebuilt.embedded == ["Employees get twenty-seven days.", *PASSAGE_SENTENCES]
