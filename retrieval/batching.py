"""Fewer, fuller embedding calls: pooled document chunks and batched search queries.

sentence-transformers sorts the texts of one ``encode`` call by length before
cutting them into batches, so batches carry little padding; a small document
encoded on its own gives a short, padded batch. ``EmbeddingBatcher`` is an
``Embedder`` that several indexing threads share: their requests wait in one
queue and a single background thread encodes whatever is waiting as one call.
While it encodes, the other threads go on parsing and chunking (torch releases
the GIL), so parsing overlaps embedding.

The tokenizing and chunking that would hold the GIL beside the encoding thread
are done in the parser process when it parses (``retrieval.prepared``).
Python's GIL switch interval is left at its default (5 ms): with them gone, a
0.5 ms interval measured no better (ops/bench/results/ingest-usem3.md).

One question at a time, the model spends most of a call on fixed costs; searches
that arrive while the model is busy wait for the current call to end, and
``QueryBatcher`` encodes everything that queued up in one call. No thread of its
own and no timer: a lone query is encoded at once ("group commit").

Queries go first: when both batchers of one model share a ``QueryFirst``, a pooled
document encode runs in slices of ``slice_texts`` and, before each slice, waits
while queries are being encoded (at most ``max_wait_s``, so a steady stream of
searches slows ingestion but never stops it). A question then waits for one
slice at most, not for a whole pooled call of hundreds of chunks.
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

__all__ = ["EmbeddingBatcher", "QueryBatcher", "QueryFirst"]

logger = logging.getLogger(__name__)


class QueryFirst:
    """Search queries being embedded; document encodes wait for them (module docstring)."""

    def __init__(self, *, max_wait_s: float = 0.5, slice_texts: int = 64) -> None:
        if slice_texts < 1:
            raise ValueError("slice_texts must be at least 1")
        self.max_wait_s = max_wait_s
        self.slice_texts = slice_texts
        self._idle = threading.Condition()
        self._active = _Holders(self._idle)
        # Slices that waited for queries (for logs and tests).
        self.yielded = 0

    def query(self) -> AbstractContextManager[None]:
        """Hold while encoding queries: document slices wait meanwhile."""
        return self._active.hold()

    def wait(self) -> None:
        """Before a document slice: wait until no query is encoding, at most ``max_wait_s``."""
        with self._idle:
            if self._active.count:
                self.yielded += 1
                self._idle.wait_for(lambda: not self._active.count, timeout=self.max_wait_s)


class _Holders:
    """How many threads hold something; each release wakes the condition's waiters."""

    def __init__(self, condition: threading.Condition) -> None:
        self._condition = condition
        self.count = 0  # read under the condition

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Count this thread in until the block ends."""
        with self._condition:
            self.count += 1
        try:
            yield
        finally:
            with self._condition:
                self.count -= 1
                self._condition.notify_all()


@dataclass
class _Request:
    texts: list[str]
    future: Future[list[list[float]]] = field(default_factory=Future)
    # The embedder's token ids of ``texts`` (see EmbeddingBatcher), or why they failed.
    ids: list[Any] | None = None
    error: Exception | None = None


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
        queries: QueryFirst | None = None,
    ) -> None:
        if max_texts <= 0:
            raise ValueError("max_texts must be positive")
        self._inner = embedder
        self._queries = queries
        self.max_texts = max_texts
        self._linger_s = linger_s
        self.dimension = embedder.dimension
        self.model_name = embedder.model_name
        self.tokenizer: Any = embedder.tokenizer
        self.batch_size = getattr(embedder, "batch_size", None)
        self.languages = getattr(embedder, "languages", None)
        # The same embedding identity as the wrapped embedder (indexes check it).
        self.backend: str = getattr(embedder, "backend", "torch")
        # An embedder whose tokenizing holds the GIL (USE's pure-Python SentencePiece)
        # can split it off: each caller tokenizes its own texts, the encoding thread
        # only runs the model on the ids.
        prepare = getattr(embedder, "prepare", None)
        encode_prepared = getattr(embedder, "encode_prepared", None)
        self._split = callable(prepare) and callable(encode_prepared)
        self._changed = threading.Condition()
        # Without overlap, encoding and the callers' CPU work (see ``turn``) take turns.
        self._turn: AbstractContextManager[object] = nullcontext() if overlap else threading.Lock()
        self._pending: list[_Request] = []
        self._documents = _Holders(self._changed)
        # Requests submitted and not answered yet (waiting or being encoded).
        self._outstanding = 0
        self._thread: threading.Thread | None = None
        # Counters for logs and tests: encode calls made and texts they carried.
        self.encode_calls = 0
        self.encoded_texts = 0
        # Texts that came tokenized (``submit``'s ``prepared``).
        self.prepared_texts = 0

    def document(self) -> AbstractContextManager[None]:
        """Mark one document as in flight, so the batcher waits for its requests to pool."""
        return self._documents.hold()

    def turn(self) -> AbstractContextManager[object]:
        """Hold while parsing or storing: without overlap, the encoder waits meanwhile.

        With one torch thread per spare core, parsing alongside the encoder is
        free; on a busy CPU a pure-Python parser thread slows the encoder more
        than it gains (measured: an encode took 2x as long beside a pypdf thread).
        """
        return self._turn

    def submit(
        self, texts: Sequence[str], *, prepared: Sequence[Any] | None = None
    ) -> Future[list[list[float]]]:
        """Queue passages for embedding; the future holds one vector per text.

        ``prepared``: the texts' ids, tokenized elsewhere as ``portable_prepare``
        says (the parser process), so this process does not tokenize them.
        """
        request = _Request(list(texts))
        if not request.texts:
            request.future.set_result([])
            return request.future
        if self._split and prepared is not None and len(prepared) == len(request.texts):
            request.ids = list(prepared)
            self.prepared_texts += len(prepared)
        elif self._split:
            self._prepare(request)
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

    def portable_prepare(self) -> str | None:
        """The tokenizing kind another process may do for ``submit``'s ``prepared`` (or None)."""
        if not self._split:
            return None
        kind = getattr(self._inner, "portable_prepare", None)
        return kind() if callable(kind) else None

    def _prepare(self, request: _Request) -> None:
        # In the caller's thread; a failure is the request's answer, given in its turn
        # (it still counts as waiting, as it did when the encoding thread tokenized).
        try:
            with self._turn:
                request.ids = self._inner.prepare(request.texts)  # type: ignore[attr-defined]
        except Exception as exc:
            request.error = exc

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
            if waiting >= self.max_texts or self._outstanding >= self._documents.count:
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
        for request in pool:
            if request.error is not None:
                request.future.set_exception(request.error)
        pool = [request for request in pool if request.error is None]
        if not pool:
            return
        texts = [text for request in pool for text in request.texts]
        try:
            with self._turn:
                vectors = self._embed(pool, texts)
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

    def _embed(self, pool: list[_Request], texts: list[str]) -> list[list[float]]:
        """One pooled encode; with ``QueryFirst``, in slices that let queries go first."""
        if self._split:
            ids = [one for request in pool for one in request.ids or ()]

            def encode(order: list[int]) -> list[list[float]]:
                return self._inner.encode_prepared([ids[i] for i in order])  # type: ignore[attr-defined]
        else:

            def encode(order: list[int]) -> list[list[float]]:
                return self._inner.embed_documents([texts[i] for i in order])

        if self._queries is None or len(texts) <= self._queries.slice_texts:
            if self._queries is not None:
                self._queries.wait()
            return encode(list(range(len(texts))))
        # Sliced by length, so each slice pads as little as the whole call would.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        step = self._queries.slice_texts
        for start in range(0, len(order), step):
            part = order[start : start + step]
            self._queries.wait()
            for i, vector in zip(part, encode(part), strict=True):
                vectors[i] = vector
        return vectors


# --- search queries ----------------------------------------------------------

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

    def __init__(
        self,
        embedder: Embedder,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        queries: QueryFirst | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._embedder = embedder
        self._queries = queries
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
            with self._queries.query() if self._queries is not None else nullcontext():
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
