"""Ingestion: parse -> chunk -> embed in windows -> upsert -> delete stale points.

A document streams through in windows of ``batch_size`` chunks (256 by
default): the next window is parsed and chunked while the current one is
embedded, and memory holds two windows, not the document. For a file already
indexed under the same embedding key, the document's stored points (both
vectors and the chunk payload) are copied instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.batching import EmbeddingBatcher
from retrieval.chunking import Chunker, index_text
from retrieval.config import ChunkingConfig, ParsingConfig, SparseConfig
from retrieval.embedding import Embedder, embedding_identity
from retrieval.errors import EmptyDocumentError
from retrieval.models import Chunk, DocumentMeta, IndexResult, Progress, Section
from retrieval.parsing import read_document
from retrieval.parsing.titles import document_title
from retrieval.prepared import ChunkedDocument, ChunkedHere, PreparedChunk, chunk_plan
from retrieval.sparse import SparseEncoder
from retrieval.store.base import IndexedChunk, VectorStore, chunk_point_id

__all__ = ["EMBEDDING_KEY_VERSION", "Indexer", "embedding_key"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
DEFAULT_BATCH_SIZE = 32
# Bump when parsing, chunking or encoding code changes what the same settings produce,
# so documents indexed by older code are no longer copied. 2: titles come from the
# document (embedded with each chunk), PDFs pypdf could not read are read with PDFium.
EMBEDDING_KEY_VERSION = 2
# Chunks per embedding call by default, in embedder batches: sentence-transformers
# sorts one call's texts by length, so a wider window pads less (32 -> 256 cut the
# padded tokens of the benchmark corpus from 1.26x to 1.12x of a corpus-wide sort).
WINDOW_BATCHES = 8
# Seconds between repeated progress reports while a window waits for its vectors
# (the worker's heartbeat; stalled_after_s is minutes).
HEARTBEAT_S = 30.0


def _ignore_progress(progress: Progress) -> None:
    return None


class Indexer:
    """Indexes files into a vector store; safe to re-run on the same document (converges)."""

    def __init__(
        self,
        *,
        store: VectorStore,
        embedder: Embedder,
        chunking: ChunkingConfig = ChunkingConfig(),  # noqa: B008 - frozen
        parsing: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen
        sparse: SparseEncoder | None = None,
        batch_size: int | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._chunker = Chunker(chunking, embedder.tokenizer)
        self._context_prefix = chunking.context_prefix
        self._parsing = parsing
        # The batcher's tokenizing, when the parser process can do it (retrieval.prepared).
        self._prepare_kind = (
            embedder.portable_prepare() if isinstance(embedder, EmbeddingBatcher) else None
        )
        self._sparse = sparse or SparseEncoder(SparseConfig())
        self.embedding_key = embedding_key(
            # Name and backend: int8 and fp32 vectors of one model are not interchangeable.
            model_name=embedding_identity(embedder),
            dimension=embedder.dimension,
            chunking=chunking,
            sparse=self._sparse.config,
        )
        # Chunks embedded and upserted per step; bounds the chunks and vectors held.
        self._batch_size = batch_size or WINDOW_BATCHES * _embedder_batch_size(embedder)

    def index_file(
        self,
        path: Path,
        *,
        meta: DocumentMeta,
        mime_type: str | None = None,
        filename: str | None = None,
        on_progress: ProgressCallback = _ignore_progress,
    ) -> IndexResult:
        """Index one file for ``meta.document_id``, replacing whatever was indexed before.

        The title is ``meta.title`` when given, else the document's own (metadata,
        first heading), else ``filename``'s stem; the result says which was used.
        """
        with self._in_flight():
            started = time.perf_counter()
            progress = _LastProgress(on_progress)
            progress(Progress(stage="parsing", done=0, total=1))
            document = self._read(path, meta.title, mime_type, filename, progress.repeat)
            try:
                progress(Progress(stage="parsing", done=1, total=1))
                meta = dataclasses.replace(
                    meta,
                    group_ids=tuple(meta.group_ids),
                    title=document_title(meta.title, document.title, filename),
                )
                total = self._index(document.chunks, meta=meta, on_progress=progress)
            finally:
                _close(document.chunks)
            logger.info(
                "indexed document_id=%s chunks=%s seconds=%.2f",
                meta.document_id,
                total,
                time.perf_counter() - started,
            )
        return IndexResult(chunk_count=total, title=meta.title)

    def index_sections(
        self,
        sections: Iterable[Section],
        *,
        meta: DocumentMeta,
        on_progress: ProgressCallback = _ignore_progress,
    ) -> int:
        """Chunk, embed and upsert ``sections`` window by window; returns the chunk count.

        Sections are read lazily: at most two windows of ``batch_size`` chunks
        are held, the one being embedded and the next one being chunked, so a
        large document is never materialised whole. The total is reported as 0
        (unknown) until the last section has been read.
        """
        chunks = (PreparedChunk(chunk) for chunk in self._chunker.chunk(sections))
        return self._index(chunks, meta=meta, on_progress=on_progress)

    def _read(
        self,
        path: Path,
        title: str,
        mime_type: str | None,
        filename: str | None,
        heartbeat: Callable[[], None],
    ) -> ChunkedDocument:
        """The document's chunks: cut (and tokenized) by the parser process when it parses."""
        plan = None
        if self._parsing.isolate:
            plan = chunk_plan(
                self._chunker,
                context_prefix=self._context_prefix,
                prepare=self._prepare_kind,
                title=title,
            )
        if plan is not None:
            from retrieval.parsing.sandbox import chunk_isolated

            return chunk_isolated(
                path,
                plan=plan,
                mime_type=mime_type,
                filename=filename,
                config=self._parsing,
                heartbeat=heartbeat,
            )
        parsed = read_document(
            path, mime_type=mime_type, filename=filename, config=self._parsing, heartbeat=heartbeat
        )
        return ChunkedDocument(parsed.title, ChunkedHere(self._chunker, parsed.sections))

    def _index(
        self,
        chunks: Iterable[PreparedChunk],
        *,
        meta: DocumentMeta,
        on_progress: ProgressCallback,
    ) -> int:
        windows = _Windows(iter(chunks), self._batch_size, turn=self._turn)
        run = _Run(meta=meta, on_progress=on_progress, windows=windows)
        in_flight: deque[tuple[list[Chunk], list[str], Future[list[list[float]]]]] = deque()
        for window in windows:
            batch = [prepared.chunk for prepared in window]
            texts = [index_text(c, meta.title) if self._context_prefix else c.text for c in batch]
            ids = [prepared.ids for prepared in window]
            in_flight.append((batch, texts, self._submit(texts, ids)))
            if len(in_flight) > 1:
                self._store_window(*in_flight.popleft(), run=run)
        if windows.count == 0:
            raise EmptyDocumentError("The document has no extractable text.")
        while in_flight:
            self._store_window(*in_flight.popleft(), run=run)
        on_progress(Progress(stage="indexing", done=0, total=windows.count))
        self._store.delete_document(meta.document_id, keep_point_ids=run.kept)
        on_progress(Progress(stage="indexing", done=windows.count, total=windows.count))
        return windows.count

    def copy_document(
        self,
        source_document_id: int,
        *,
        meta: DocumentMeta,
        chunk_count: int,
        on_progress: ProgressCallback = _ignore_progress,
    ) -> IndexResult | None:
        """Index ``meta.document_id`` by copying the points of a document with the same file.

        The caller vouches that the source was indexed from the same bytes under this
        indexer's ``embedding_key``. Returns None, leaving the target's points as
        they were, when the source's ``chunk_count`` points are not all there (deleted
        or re-indexed meanwhile), hold another file's chunks (sha256) or were
        embedded under another title: index the file instead.
        """
        started = time.perf_counter()
        before = self._store.point_ids(document_id=meta.document_id)
        on_progress(Progress(stage="embedding", done=0, total=chunk_count))
        kept: set[str] = set()
        indices: set[int] = set()
        title = meta.title
        for page in self._store.document_points(source_document_id, batch_size=self._batch_size):
            copies = [c for c in (self._retarget(point, meta) for point in page) if c]
            if len(copies) < len(page) or len(indices) + len(copies) > chunk_count:
                break
            self._store.upsert(copies)
            title = title or copies[0].meta.title
            kept.update(p.point_id for p in copies)
            indices.update(p.chunk.index for p in copies)
            on_progress(Progress(stage="embedding", done=len(indices), total=chunk_count))
        if chunk_count == 0 or indices != set(range(chunk_count)) or len(kept) != chunk_count:
            self._store.delete_document(meta.document_id, keep_point_ids=before)
            logger.info(
                "no reuse document_id=%s source=%s: stored points incomplete or another title",
                meta.document_id,
                source_document_id,
            )
            return None
        on_progress(Progress(stage="indexing", done=0, total=chunk_count))
        self._store.delete_document(meta.document_id, keep_point_ids=kept)
        on_progress(Progress(stage="indexing", done=chunk_count, total=chunk_count))
        logger.info(
            "copied document_id=%s from source=%s chunks=%s seconds=%.2f",
            meta.document_id,
            source_document_id,
            chunk_count,
            time.perf_counter() - started,
        )
        return IndexResult(chunk_count=chunk_count, reused_from=source_document_id, title=title)

    def _retarget(self, point: IndexedChunk, meta: DocumentMeta) -> IndexedChunk | None:
        """The source's point under the target document; None if its vectors would differ."""
        if point.meta.sha256 != meta.sha256:
            return None  # the source was replaced by another file since it was chosen
        title = meta.title or point.meta.title
        if self._context_prefix and point.meta.title != title:
            return None  # the title is part of the embedded text
        target = dataclasses.replace(meta, group_ids=tuple(meta.group_ids), title=title)
        return dataclasses.replace(
            point,
            point_id=chunk_point_id(meta.document_id, point.chunk.index, point.chunk.text),
            meta=target,
        )

    def delete_document(self, document_id: int) -> None:
        """Remove every chunk of a document from the store."""
        self._store.delete_document(document_id)
        logger.info("deleted document_id=%s", document_id)

    def _turn(self) -> AbstractContextManager[object]:
        if isinstance(self._embedder, EmbeddingBatcher):
            return self._embedder.turn()
        return nullcontext()

    def _in_flight(self) -> AbstractContextManager[None]:
        if isinstance(self._embedder, EmbeddingBatcher):
            return self._embedder.document()
        return nullcontext()

    def _submit(self, texts: list[str], ids: list[Any | None]) -> Future[list[list[float]]]:
        if isinstance(self._embedder, EmbeddingBatcher):
            # Ids the parser made for the batcher's model, when it made them for every chunk.
            ready = self._prepare_kind is not None and all(one is not None for one in ids)
            return self._embedder.submit(texts, prepared=ids if ready else None)
        # A plain embedder: encode when the window is stored (no overlap, same order).
        return _Deferred(lambda: self._embedder.embed_documents(texts))

    def _store_window(
        self,
        batch: list[Chunk],
        texts: list[str],
        vectors: Future[list[list[float]]],
        *,
        run: _Run,
    ) -> None:
        run.before_first_window()
        dense = self._wait(vectors, run)
        with self._turn():
            self._upsert(batch, texts, dense, run)
        run.done += len(batch)
        run.report(Progress(stage="embedding", done=run.done, total=run.windows.total))

    def _upsert(
        self, batch: list[Chunk], texts: list[str], dense: list[list[float]], run: _Run
    ) -> None:
        languages = [self._sparse.detect_language(chunk.text) for chunk in batch]
        points = [
            IndexedChunk(
                point_id=chunk_point_id(run.meta.document_id, chunk.index, chunk.text),
                chunk=chunk,
                meta=run.meta,
                dense=vector,
                sparse=self._sparse.encode_document(text, language=language),
                language=language,
            )
            for chunk, text, vector, language in zip(batch, texts, dense, languages, strict=True)
        ]
        self._store.upsert(points)
        run.kept.update(point.point_id for point in points)

    @staticmethod
    def _wait(vectors: Future[list[list[float]]], run: _Run) -> list[list[float]]:
        # Other documents' chunks may be encoded first: repeat the last progress
        # now and then, so the caller's heartbeat shows this document is alive.
        while True:
            try:
                return vectors.result(timeout=HEARTBEAT_S)
            except FutureTimeoutError:
                run.report(run.last)


class _LastProgress:
    """A progress callback that remembers the last report, to repeat it as a heartbeat."""

    def __init__(self, on_progress: ProgressCallback) -> None:
        self._on_progress = on_progress
        self.last = Progress(stage="parsing", done=0, total=1)

    def __call__(self, progress: Progress) -> None:
        self.last = progress
        self._on_progress(progress)

    def repeat(self) -> None:
        """Report the last progress again (the document is alive, waiting on its parser)."""
        self._on_progress(self.last)


def _close(stream: Iterable[object]) -> None:
    """Stop a lazy section or chunk stream not read to its end (its parser process too)."""
    close = getattr(stream, "close", None)
    if callable(close):
        close()


class _Windows:
    """Consecutive lists of up to ``size`` chunks; knows the total once the chunks run out."""

    def __init__(
        self,
        chunks: Iterator[PreparedChunk],
        size: int,
        *,
        turn: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._chunks = chunks
        self._size = size
        self._turn = turn
        self.count = 0
        self.exhausted = False

    @property
    def total(self) -> int:
        """The number of chunks, or 0 while the document is still being read."""
        return self.count if self.exhausted else 0

    def __iter__(self) -> Iterator[list[PreparedChunk]]:
        while not self.exhausted:
            with self._turn():  # parsing and chunking happen here, lazily
                window = list(itertools.islice(self._chunks, self._size))
            if len(window) < self._size:
                self.exhausted = True
            if window:
                self.count += len(window)
                yield window


@dataclass
class _Run:
    """Progress bookkeeping of one document being indexed."""

    meta: DocumentMeta
    on_progress: ProgressCallback
    windows: _Windows
    done: int = 0
    kept: set[str] = field(default_factory=set)
    last: Progress = Progress(stage="parsing", done=1, total=1)

    def report(self, progress: Progress) -> None:
        self.last = progress
        self.on_progress(progress)

    def before_first_window(self) -> None:
        if self.done:
            return
        total = self.windows.total
        if total:
            self.report(Progress(stage="chunking", done=total, total=total))
        self.report(Progress(stage="embedding", done=0, total=total))


class _Deferred(Future[list[list[float]]]):
    """A future computed by the thread that asks for its result."""

    def __init__(self, compute: Callable[[], list[list[float]]]) -> None:
        super().__init__()
        self._compute = compute

    def result(self, timeout: float | None = None) -> list[list[float]]:
        if not self.done():
            try:
                self.set_result(self._compute())
            except Exception as exc:
                self.set_exception(exc)
        return super().result(timeout)


def embedding_key(
    *, model_name: str, dimension: int, chunking: ChunkingConfig, sparse: SparseConfig
) -> str:
    """Fingerprint of what decides a file's chunks and vectors besides its bytes (64 hex)."""
    settings = {
        "version": EMBEDDING_KEY_VERSION,
        "model": model_name,
        "dimension": dimension,
        "chunking": dataclasses.asdict(chunking),
        "sparse": dataclasses.asdict(sparse),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()


def _embedder_batch_size(embedder: Embedder) -> int:
    size = getattr(embedder, "batch_size", None)
    return size if isinstance(size, int) and size > 0 else DEFAULT_BATCH_SIZE
