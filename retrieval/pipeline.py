"""Ingestion: parse -> chunk -> embed in batches -> upsert -> delete stale points.

Or, for a file already indexed under the same embedding key, copy that
document's stored points (both vectors and the chunk payload) instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from retrieval.chunking import Chunker, index_text
from retrieval.config import ChunkingConfig, ParsingConfig, SparseConfig
from retrieval.embedding import Embedder, embedding_identity
from retrieval.errors import EmptyDocumentError
from retrieval.models import Chunk, DocumentMeta, IndexResult, Progress
from retrieval.parsing import parse_file
from retrieval.sparse import SparseEncoder
from retrieval.store.base import IndexedChunk, VectorStore, chunk_point_id

__all__ = ["EMBEDDING_KEY_VERSION", "Indexer", "embedding_key"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
DEFAULT_BATCH_SIZE = 32
# Bump when parsing, chunking or encoding code changes what the same settings produce,
# so documents indexed by older code are no longer copied.
EMBEDDING_KEY_VERSION = 1


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
        self._sparse = sparse or SparseEncoder(SparseConfig())
        self.embedding_key = embedding_key(
            # Name and backend: int8 and fp32 vectors of one model are not interchangeable.
            model_name=embedding_identity(embedder),
            dimension=embedder.dimension,
            chunking=chunking,
            sparse=self._sparse.config,
        )
        # Chunks embedded and upserted per step; bounds the vectors held in memory.
        self._batch_size = batch_size or _embedder_batch_size(embedder)

    def index_file(
        self,
        path: Path,
        *,
        meta: DocumentMeta,
        mime_type: str | None = None,
        filename: str | None = None,
        on_progress: ProgressCallback = _ignore_progress,
    ) -> IndexResult:
        """Index one file for ``meta.document_id``, replacing whatever was indexed before."""
        started = time.perf_counter()
        on_progress(Progress(stage="parsing", done=0, total=1))
        parsed = parse_file(path, mime_type=mime_type, filename=filename, config=self._parsing)
        on_progress(Progress(stage="parsing", done=1, total=1))
        # Only chunk texts are kept for the whole file; vectors live one batch at a time.
        chunks = list(self._chunker.chunk(parsed.sections))
        total = len(chunks)
        if total == 0:
            raise EmptyDocumentError("The document has no extractable text.")
        on_progress(Progress(stage="chunking", done=total, total=total))
        title = meta.title or parsed.title or ""
        meta = DocumentMeta(
            document_id=meta.document_id,
            collection_id=meta.collection_id,
            group_ids=tuple(meta.group_ids),
            title=title,
            sha256=meta.sha256,
        )
        on_progress(Progress(stage="embedding", done=0, total=total))
        kept: set[str] = set()
        for start in range(0, total, self._batch_size):
            batch = chunks[start : start + self._batch_size]
            points = self._embed(batch, meta)
            self._store.upsert(points)
            kept.update(point.point_id for point in points)
            on_progress(Progress(stage="embedding", done=start + len(batch), total=total))
        on_progress(Progress(stage="indexing", done=0, total=total))
        self._store.delete_document(meta.document_id, keep_point_ids=kept)
        on_progress(Progress(stage="indexing", done=total, total=total))
        logger.info(
            "indexed document_id=%s chunks=%s seconds=%.2f",
            meta.document_id,
            total,
            time.perf_counter() - started,
        )
        return IndexResult(chunk_count=total)

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
        for page in self._store.document_points(source_document_id, batch_size=self._batch_size):
            copies = [c for c in (self._retarget(point, meta) for point in page) if c]
            if len(copies) < len(page) or len(indices) + len(copies) > chunk_count:
                break
            self._store.upsert(copies)
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
        return IndexResult(chunk_count=chunk_count, reused_from=source_document_id)

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

    def _embed(self, batch: Sequence[Chunk], meta: DocumentMeta) -> list[IndexedChunk]:
        texts = [index_text(c, meta.title) if self._context_prefix else c.text for c in batch]
        dense = self._embedder.embed_documents(texts)
        languages = [self._sparse.detect_language(chunk.text) for chunk in batch]
        return [
            IndexedChunk(
                point_id=chunk_point_id(meta.document_id, chunk.index, chunk.text),
                chunk=chunk,
                meta=meta,
                dense=vector,
                sparse=self._sparse.encode_document(text, language=language),
                language=language,
            )
            for chunk, text, vector, language in zip(batch, texts, dense, languages, strict=True)
        ]


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
