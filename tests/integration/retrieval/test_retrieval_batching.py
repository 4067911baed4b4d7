"""Chunks of documents indexed together share one encode call; documents stream window by window."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack

import numpy as np
import pytest

from retrieval import (
    DocumentMeta,
    Embedder,
    EmbeddingBatcher,
    EmbeddingModelError,
    Indexer,
    Progress,
    Section,
    SparseEncoder,
    VectorStore,
)

LEAVE = "Every full-time employee is entitled to twenty-seven days of paid annual leave per year."
PARKING = "Bicycle parking is available in the basement of the Lisbon office next to the showers."
BADGES = "Visitors collect a badge at reception and return it when they leave the building."


def test_concurrent_documents_are_embedded_in_one_call_with_their_own_vectors(
    embedder: Embedder,
) -> None:
    # A long linger: only the "every document has a request waiting" rule can start the call.
    batcher = EmbeddingBatcher(embedder, max_texts=256, linger_s=600)
    results: dict[str, list[list[float]]] = {}

    def index(name: str, texts: list[str], entered: threading.Barrier) -> None:
        with batcher.document():
            entered.wait()
            results[name] = batcher.embed_documents(texts)

    entered = threading.Barrier(2)
    threads = [
        threading.Thread(target=index, args=("a", [LEAVE, PARKING], entered)),
        threading.Thread(target=index, args=("b", [BADGES], entered)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert (batcher.encode_calls, batcher.encoded_texts) == (1, 3)
    alone = embedder.embed_documents([LEAVE, PARKING, BADGES])
    np.testing.assert_allclose(results["a"], alone[:2], atol=1e-5)
    np.testing.assert_allclose(results["b"], alone[2:], atol=1e-5)


def test_a_request_that_cannot_be_encoded_fails_alone(embedder: Embedder) -> None:
    batcher = EmbeddingBatcher(embedder, max_texts=256, linger_s=600)
    with batcher.document(), batcher.document():
        good = batcher.submit([LEAVE])
        bad = batcher.submit([None])  # type: ignore[list-item]  # the tokenizer rejects it

        with pytest.raises(EmbeddingModelError):
            bad.result(timeout=300)
        np.testing.assert_allclose(
            good.result(timeout=300), embedder.embed_documents([LEAVE]), atol=1e-5
        )
    assert (batcher.encode_calls, batcher.encoded_texts) == (1, 1)


def _sections(consumed: list[int], count: int) -> Iterator[Section]:
    for number in range(1, count + 1):
        consumed.append(number)
        yield Section(text=f"Page {number}. {LEAVE}", page=number, heading="")


@pytest.mark.parametrize(
    "overlap", [None, True, False], ids=["embedder", "batcher", "batcher-taking-turns"]
)
def test_a_document_is_read_lazily_two_windows_at_most(
    store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder, overlap: bool | None
) -> None:
    encoder = embedder if overlap is None else EmbeddingBatcher(embedder, overlap=overlap)
    indexer = Indexer(store=store, embedder=encoder, sparse=sparse_encoder, batch_size=2)
    consumed: list[int] = []
    seen: list[tuple[str, int, int, int]] = []

    def on_progress(progress: Progress) -> None:
        seen.append((progress.stage, progress.done, progress.total, len(consumed)))

    meta = DocumentMeta(7, 1, (1,), "Handbook", "cd" * 32)
    count = indexer.index_sections(_sections(consumed, 7), meta=meta, on_progress=on_progress)

    # One chunk per section; the total is unknown (0) until the last section is read,
    # and a window is stored once the next one is chunked, never more.
    assert count == store.count(document_id=7) == 7
    assert seen == [
        ("embedding", 0, 0, 4),
        ("embedding", 2, 0, 4),
        ("embedding", 4, 0, 6),
        ("embedding", 6, 7, 7),
        ("embedding", 7, 7, 7),
        ("indexing", 0, 7, 7),
        ("indexing", 7, 7, 7),
    ]


def test_one_call_takes_the_oldest_requests_up_to_max_texts(embedder: Embedder) -> None:
    batcher = EmbeddingBatcher(embedder, max_texts=2, linger_s=600)
    documents = [ExitStack() for _ in range(3)]
    for document in documents:
        document.enter_context(batcher.document())
    futures = [batcher.submit([text]) for text in (LEAVE, PARKING, BADGES)]
    first = [future.result(timeout=300)[0] for future in futures[:2]]
    assert not futures[2].done()  # the third document is still in flight and may add more
    for document in documents[:2]:
        document.close()  # two documents finished: only the waiting one is left
    last = futures[2].result(timeout=300)[0]
    documents[2].close()

    assert (batcher.encode_calls, batcher.encoded_texts) == (2, 3)
    alone = embedder.embed_documents([LEAVE, PARKING, BADGES])
    np.testing.assert_allclose([*first, last], alone, atol=1e-5)
