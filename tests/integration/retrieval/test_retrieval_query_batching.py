"""Concurrent searches share one embedding call: same vectors, fewer model calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from retrieval import Embedder, QueryBatcher

QUESTIONS = [
    "How many days of paid annual leave do employees get?",
    "Who approves travel costs above the monthly limit?",
    "Quantos dias de férias tem um funcionário?",
    "What must happen when a security badge is lost?",
    "When are expense reports filed?",
    "Quem aprova despesas de viagem acima do limite?",
    "Who assigns parking spaces?",
    "Are visitors escorted?",
]


class GatedEmbedder:
    """The real embedder, recording each model call; the first call waits for the gate."""

    def __init__(self, embedder: Embedder, *, fail_on: str = "") -> None:
        self.embedder = embedder
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls: list[list[str]] = []
        self.fail_on = fail_on
        self.dimension = embedder.dimension

    def _called(self, texts: list[str]) -> None:
        self.calls.append(texts)
        self.entered.set()
        self.gate.wait(timeout=30)
        if self.fail_on in texts:
            raise RuntimeError("encoder failed")

    def embed_query(self, text: str) -> list[float]:
        self._called([text])
        return self.embedder.embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> list[list[float]]:
        self._called(list(texts))
        return self.embedder.embed_queries(list(texts))  # type: ignore[attr-defined]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts)


def _ask_concurrently(batcher: QueryBatcher, gated: GatedEmbedder, texts: list[str]):
    results: dict[int, object] = {}

    def ask(index: int) -> None:
        try:
            results[index] = batcher.embed_query(texts[index])
        except Exception as exc:  # collected for the assertions
            results[index] = exc

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert gated.entered.wait(timeout=30)  # the first query is inside the model
    others = [threading.Thread(target=ask, args=(i,)) for i in range(1, len(texts))]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 30
    while batcher.waiting < len(texts) - 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    gated.gate.set()
    for thread in [first, *others]:
        thread.join(timeout=60)
    return [results[i] for i in range(len(texts))]


def test_queries_waiting_for_the_model_are_encoded_in_one_call(embedder) -> None:
    gated = GatedEmbedder(embedder)
    batcher = QueryBatcher(gated)

    vectors = _ask_concurrently(batcher, gated, QUESTIONS)

    assert [len(call) for call in gated.calls] == [1, len(QUESTIONS) - 1]
    for question, vector in zip(QUESTIONS, vectors, strict=True):
        alone = np.asarray(embedder.embed_query(question))
        assert float(np.dot(alone, np.asarray(vector))) > 0.9999, question
    assert batcher.waiting == 0
    # Alone again: encoded at once, by the caller.
    assert np.allclose(batcher.embed_query(QUESTIONS[0]), vectors[0], atol=1e-5)
    assert len(gated.calls) == 3


def test_a_failed_call_fails_its_batch_only(embedder) -> None:
    gated = GatedEmbedder(embedder, fail_on=QUESTIONS[3])
    batcher = QueryBatcher(gated)

    results = _ask_concurrently(batcher, gated, QUESTIONS)

    assert isinstance(results[0], list)  # the first call, alone, did not contain it
    assert all(isinstance(result, RuntimeError) for result in results[1:])
    assert batcher.waiting == 0
    assert len(batcher.embed_query(QUESTIONS[1])) == embedder.dimension


def test_batches_are_capped(embedder) -> None:
    gated = GatedEmbedder(embedder)
    batcher = QueryBatcher(gated, max_batch=3)

    vectors = _ask_concurrently(batcher, gated, QUESTIONS)

    assert [len(call) for call in gated.calls] == [1, 3, 3, 1]
    assert all(len(vector) == embedder.dimension for vector in vectors)


def test_the_batcher_is_an_embedder(embedder) -> None:
    batcher = QueryBatcher(embedder)

    assert isinstance(batcher, Embedder)
    assert batcher.dimension == embedder.dimension
    assert batcher.model_name == embedder.model_name
    with pytest.raises(ValueError):
        QueryBatcher(embedder, max_batch=0)
