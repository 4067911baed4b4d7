"""Search queries go first: pooled document encodes wait, slice by slice, while a query encodes."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from retrieval import Embedder, EmbeddingBatcher, QueryBatcher, QueryFirst
from tests.support.polling import wait_for

QUESTION = "How many days of paid annual leave do employees get?"
PAGES = [
    "Every full-time employee is entitled to twenty-seven days of paid annual leave per year.",
    "Bicycle parking is available in the basement.",
    "Visitors collect a badge at reception and return it when they leave the building.",
    "Expense reports are filed within ten days.",
    "Lost badges are reported to the facilities desk within twenty-four hours of the loss.",
]


class HeldQueries:
    """The real embedder; a query's model call waits for ``release``; document calls recorded."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.dimension = embedder.dimension
        self.model_name = embedder.model_name
        self.tokenizer = embedder.tokenizer
        self.inside = threading.Event()
        self.release = threading.Event()
        self.document_calls: list[list[str]] = []

    def embed_query(self, text: str) -> list[float]:
        self.inside.set()
        self.release.wait(timeout=300)
        return self.embedder.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.document_calls.append(list(texts))
        return self.embedder.embed_documents(texts)


def test_a_pooled_encode_waits_while_a_query_is_in_the_model(embedder: Embedder) -> None:
    held = HeldQueries(embedder)
    # A long max wait: only the query leaving the model lets the slices go.
    queries = QueryFirst(max_wait_s=600, slice_texts=2)
    searches = QueryBatcher(held, queries=queries)
    documents = EmbeddingBatcher(held, linger_s=0, queries=queries)
    found: list[list[float]] = []
    asking = threading.Thread(target=lambda: found.append(searches.embed_query(QUESTION)))
    asking.start()
    assert held.inside.wait(timeout=60)

    pooled = documents.submit(PAGES)
    assert wait_for(lambda: queries.yielded == 1)
    waited = (pooled.done(), list(held.document_calls))
    held.release.set()
    vectors = pooled.result(timeout=300)
    asking.join(timeout=60)

    assert waited == (False, [])  # nothing of the documents was encoded beside the query
    # Three slices, shortest texts first, each caller's vectors in its own order.
    by_length = sorted(PAGES, key=len)
    assert held.document_calls == [by_length[0:2], by_length[2:4], by_length[4:]]
    assert (documents.encode_calls, documents.encoded_texts) == (1, 5)
    np.testing.assert_allclose(vectors, embedder.embed_documents(PAGES), atol=1e-5)
    np.testing.assert_allclose(found[0], embedder.embed_query(QUESTION), atol=1e-5)


def test_queries_that_never_stop_slow_ingestion_but_never_stop_it(embedder: Embedder) -> None:
    queries = QueryFirst(max_wait_s=0.01, slice_texts=1)
    documents = EmbeddingBatcher(embedder, linger_s=0, queries=queries)

    with queries.query():  # a query in the model for the whole encode
        vectors = documents.embed_documents(PAGES[:2])

    assert queries.yielded == 2  # each slice waited, then went on
    np.testing.assert_allclose(vectors, embedder.embed_documents(PAGES[:2]), atol=1e-5)


def test_without_queries_a_pooled_encode_never_waits(embedder: Embedder) -> None:
    held = HeldQueries(embedder)
    queries = QueryFirst(slice_texts=2)
    documents = EmbeddingBatcher(held, linger_s=0, queries=queries)

    vectors = documents.embed_documents(PAGES)

    # Sliced all the same (a query may come at any moment), never waiting.
    assert [len(call) for call in held.document_calls] == [2, 2, 1]
    assert queries.yielded == 0
    np.testing.assert_allclose(vectors, embedder.embed_documents(PAGES), atol=1e-5)
