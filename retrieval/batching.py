"""Query embeddings of concurrent searches, encoded together in one model call.

One question at a time, the embedding model spends most of a call on fixed costs
(tokenizer, Python, kernel launches): 32 questions encoded one by one cost about
ten times more CPU than the same 32 in one batch. ``QueryBatcher`` lets searches
that arrive while the model is busy wait for the current call to end, then encodes
everything that queued up in one call. No thread of its own and no timer: a lone
query is encoded at once, exactly as without batching ("group commit").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from retrieval.embedding import Embedder

__all__ = ["QueryBatcher"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 64


class _Slot:
    """One waiting query: its text, then its vector or the error of its batch."""

    __slots__ = ("text", "ready", "lead", "vector", "error")

    def __init__(self, text: str) -> None:
        self.text = text
        self.ready = threading.Event()
        # Set instead of a result: this thread is to encode the next batch.
        self.lead = False
        self.vector: list[float] | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """An ``Embedder`` whose ``embed_query`` batches with concurrent callers.

    Everything else (documents, dimension, model name, tokenizer) is the wrapped
    embedder's. Results are the same vectors the wrapped embedder returns for one
    query, in the same order per caller; an encoding error reaches every caller of
    that batch.
    """

    def __init__(self, embedder: Embedder, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._embedder = embedder
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._busy = False
        self.batches = 0
        self.queries = 0

    @property
    def wrapped(self) -> Embedder:
        """The embedder that does the encoding."""
        return self._embedder

    @property
    def waiting(self) -> int:
        """Queries queued behind the model call in progress."""
        with self._lock:
            return len(self._queue)

    def __getattr__(self, name: str) -> Any:
        # dimension, model_name, tokenizer, languages, batch_size...: the wrapped embedder's.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._embedder, name)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages (not batched here: indexing batches its own)."""
        return self._embedder.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """The query's vector, encoded together with the queries of concurrent callers."""
        slot = _Slot(text)
        with self._lock:
            self._queue.append(slot)
            lead = not self._busy
            self._busy = True
        if not lead:
            slot.ready.wait()
            if not slot.lead:
                return _result(slot)
        self._encode_until_done(slot)
        return _result(slot)

    def _encode_until_done(self, own: _Slot) -> None:
        """Encode queued batches until ``own`` has its vector, then hand the lead on."""
        try:
            while not own.ready.is_set() or own.lead:
                own.lead = False
                with self._lock:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                self._encode(batch)
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        with self._lock:
            if not self._queue:
                self._busy = False
                return
            # Queries that arrived during the last call: the first of them leads next.
            successor = self._queue[0]
        successor.lead = True
        successor.ready.set()

    def _encode(self, batch: list[_Slot]) -> None:
        try:
            vectors = _encode_queries(self._embedder, [slot.text for slot in batch])
        except BaseException as exc:  # every waiter must wake, whatever went wrong
            for slot in batch:
                slot.error = exc
                slot.ready.set()
            if not isinstance(exc, Exception):
                raise
            return
        with self._lock:
            self.batches += 1
            self.queries += len(batch)
        for slot, vector in zip(batch, vectors, strict=True):
            slot.vector = vector
            slot.ready.set()


def _encode_queries(embedder: Embedder, texts: list[str]) -> list[list[float]]:
    if len(texts) == 1:
        return [embedder.embed_query(texts[0])]
    many = getattr(embedder, "embed_queries", None)
    if many is None:
        return [embedder.embed_query(text) for text in texts]
    vectors: list[list[float]] = many(texts)
    return vectors


def _result(slot: _Slot) -> list[float]:
    if slot.error is not None:
        raise slot.error
    assert slot.vector is not None
    return slot.vector
