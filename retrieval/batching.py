"""Pool the chunks of documents indexed at the same time into one embedding call.

sentence-transformers sorts the texts of one ``encode`` call by length before
cutting them into batches, so batches carry little padding; a small document
encoded on its own gives a short, padded batch. ``EmbeddingBatcher`` is an
``Embedder`` that several indexing threads share: their requests wait in one
queue and a single background thread encodes whatever is waiting as one call.
While it encodes, the other threads go on parsing and chunking (torch releases
the GIL), so parsing overlaps embedding.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from retrieval.embedding import Embedder

__all__ = ["EmbeddingBatcher"]

logger = logging.getLogger(__name__)


@dataclass
class _Request:
    texts: list[str]
    future: Future[list[list[float]]] = field(default_factory=Future)


class EmbeddingBatcher:
    """An Embedder that encodes the requests of concurrent callers together.

    A pooled encode starts when ``max_texts`` are waiting, when every document
    in flight (see ``document``) has a request unanswered, or ``linger_s`` after
    the oldest request arrived; it takes the oldest requests, up to about
    ``max_texts`` texts (two of the Indexer's 256-chunk windows). Each caller
    gets exactly its own vectors; if a pooled call fails, each request is
    encoded alone so one bad request fails alone.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        max_texts: int = 512,
        linger_s: float = 0.05,
        overlap: bool = True,
    ) -> None:
        if max_texts <= 0:
            raise ValueError("max_texts must be positive")
        self._inner = embedder
        self.max_texts = max_texts
        self._linger_s = linger_s
        self.dimension = embedder.dimension
        self.model_name = embedder.model_name
        self.tokenizer: Any = embedder.tokenizer
        self.batch_size = getattr(embedder, "batch_size", None)
        self.languages = getattr(embedder, "languages", None)
        self._changed = threading.Condition()
        # Without overlap, encoding and the callers' CPU work (see ``turn``) take turns.
        self._turn: AbstractContextManager[object] = nullcontext() if overlap else threading.Lock()
        self._pending: list[_Request] = []
        self._documents = 0
        # Requests submitted and not answered yet (waiting or being encoded).
        self._outstanding = 0
        self._thread: threading.Thread | None = None
        # Counters for logs and tests: encode calls made and texts they carried.
        self.encode_calls = 0
        self.encoded_texts = 0

    @contextmanager
    def document(self) -> Iterator[None]:
        """Mark one document as in flight, so the batcher waits for its requests to pool."""
        with self._changed:
            self._documents += 1
        try:
            yield
        finally:
            with self._changed:
                self._documents -= 1
                self._changed.notify_all()

    def turn(self) -> AbstractContextManager[object]:
        """Hold while parsing or storing: without overlap, the encoder waits meanwhile.

        With one torch thread per spare core, parsing alongside the encoder is
        free; on a busy CPU a pure-Python parser thread slows the encoder more
        than it gains (measured: an encode took 2x as long beside a pypdf thread).
        """
        return self._turn

    def submit(self, texts: Sequence[str]) -> Future[list[list[float]]]:
        """Queue passages for embedding; the future holds one vector per text."""
        request = _Request(list(texts))
        if not request.texts:
            request.future.set_result([])
            return request.future
        request.future.add_done_callback(self._answered)
        with self._changed:
            self._pending.append(request)
            self._outstanding += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="enclave-embedding-batcher", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
        return request.future

    def _answered(self, future: Future[list[list[float]]]) -> None:
        with self._changed:
            self._outstanding -= 1

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages for indexing, pooled with other threads' passages."""
        return self.submit(texts).result()

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query directly: queries must not wait behind ingestion."""
        return self._inner.embed_query(text)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending:
                    self._changed.wait()
                self._wait_for_pool()
                pool = self._take_pool()
            self._encode(pool)

    def _wait_for_pool(self) -> None:
        # Called holding the condition; returns when the pending requests should go.
        deadline = time.monotonic() + self._linger_s
        while True:
            waiting = sum(len(r.texts) for r in self._pending)
            # Every document in flight is blocked on a request: nobody else is coming.
            if waiting >= self.max_texts or self._outstanding >= self._documents:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._changed.wait(left)

    def _take_pool(self) -> list[_Request]:
        # Oldest first, up to max_texts (at least one request): a call stays short
        # enough for the callers' progress, and nobody waits behind newer requests.
        taken, count = 0, 0
        while taken < len(self._pending) and (taken == 0 or count < self.max_texts):
            count += len(self._pending[taken].texts)
            taken += 1
        pool, self._pending = self._pending[:taken], self._pending[taken:]
        return pool

    def _encode(self, pool: list[_Request]) -> None:
        texts = [text for request in pool for text in request.texts]
        try:
            with self._turn:
                vectors = self._inner.embed_documents(texts)
        except Exception as exc:
            if len(pool) == 1:
                pool[0].future.set_exception(exc)
                return
            logger.warning("pooled embedding of %s requests failed; encoding each", len(pool))
            for request in pool:
                self._encode([request])
            return
        self.encode_calls += 1
        self.encoded_texts += len(texts)
        logger.debug("embedded requests=%s texts=%s", len(pool), len(texts))
        start = 0
        for request in pool:
            end = start + len(request.texts)
            request.future.set_result(vectors[start:end])
            start = end
