"""Ingestion of one document, as run by the worker, and the stalled-job reconciler.

The Document row is the source of truth: a task claims a document by an
atomic status change, reports progress with a heartbeat, and ends it
``indexed`` or ``failed`` with a readable reason. The broker is only the
wake-up call; a lost message or a killed worker is noticed by
``documents_requeue_stalled``.

A file already indexed elsewhere (same sha256 and embedding key) is not parsed
or embedded again: its twin's points are copied (``Indexer.copy_document``),
and the row records the source in ``vectors_reused_from``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from retrieval import DocumentMeta, Indexer, IndexResult, Progress
from retrieval.errors import EmbeddingModelError, IndexUnavailableError, RetrievalError
from retrieval.parsing.titles import file_title
from webapp.core.engines import IndexEngines, indexer_for
from webapp.core.metrics import CHUNKS_INDEXED, INGESTION_FAILURES
from webapp.knowledge.index_engines import write_engines
from webapp.knowledge.models import (
    IN_PROGRESS_STATUSES,
    Document,
    DocumentStatus,
    TitleSource,
)
from webapp.knowledge.selectors import document_reader_group_ids
from worker.contracts import enqueue_ingest

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (IndexUnavailableError, EmbeddingModelError)
# Indexed documents with the same file tried as a source of vectors before embedding.
REUSE_CANDIDATES = 3
TITLE_LENGTH = 500  # Document.title's max_length


def _claim(document_id: int, *, stalled_after_s: int) -> Document | None:
    """Atomically take a queued (or stalled) document; None if someone else has it or it is done."""
    now = timezone.now()
    stale = now - timedelta(seconds=stalled_after_s)
    claimed = (
        Document.objects.filter(id=document_id, status__in=IN_PROGRESS_STATUSES)
        .filter(
            Q(status=DocumentStatus.QUEUED)
            | Q(heartbeat_at__isnull=True)
            | Q(heartbeat_at__lt=stale)
        )
        .update(
            status=DocumentStatus.PARSING,
            progress_done=0,
            progress_total=0,
            error_code="",
            error_message="",
            heartbeat_at=now,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return None
    return Document.objects.select_related("collection").get(id=document_id)


def _report(document_id: int, version: int) -> Callable[[Progress], None]:
    """A progress callback that writes stage, counts and a heartbeat (for this version only)."""

    def on_progress(progress: Progress) -> None:
        Document.objects.filter(
            id=document_id, version=version, status__in=IN_PROGRESS_STATUSES
        ).update(
            status=progress.stage,
            progress_done=progress.done,
            progress_total=progress.total,
            heartbeat_at=timezone.now(),
        )

    return on_progress


def _fail(document_id: int, *, version: int, code: str, message: str) -> None:
    # Only this version: a newer one queued meanwhile (folder sync) must still run.
    rows = Document.objects.filter(id=document_id, version=version)
    failed = rows.exclude(status=DocumentStatus.DELETING).update(
        status=DocumentStatus.FAILED,
        error_code=code,
        error_message=message,
        heartbeat_at=timezone.now(),
    )
    if failed:
        INGESTION_FAILURES.labels(code).inc()


def _apply_current_groups(
    document: Document, *, written: tuple[int, ...], targets: list[IndexEngines]
) -> None:
    """Groups changed while indexing: bring the points up to date."""
    current = document_reader_group_ids(document)
    if current != written:
        for engines in targets:
            engines.store.set_document_groups(document.id, list(current))


def _index_everywhere(
    document: Document,
    meta: DocumentMeta,
    targets: list[IndexEngines],
    on_progress: Callable[[Progress], None],
) -> tuple[IndexResult, str]:
    """Index into the active index, then (during a model change) the one being built.

    Each index copies the points of an indexed twin when it has one, else upserts
    the new points before deleting the document's old ones, so a re-indexed
    document stays searchable throughout. Returns the active index's result (chunk
    counts follow its model's tokenizer) and embedding key.
    """
    results = []
    for engines in targets:
        indexer = indexer_for(engines)
        result = _copy_from_twin(indexer, document, meta, on_progress) or indexer.index_file(
            Path(document.stored_path),
            meta=meta,
            mime_type=document.mime_type,
            filename=document.filename,
            on_progress=on_progress,
        )
        results.append((result, indexer.embedding_key))
        # Every index gets the title the first one found.
        meta = dataclasses.replace(meta, title=meta.title or result.title)
    return results[0]


def _copy_from_twin(
    indexer: Indexer,
    document: Document,
    meta: DocumentMeta,
    on_progress: Callable[[Progress], None],
) -> IndexResult | None:
    """Copy the points of an indexed document with the same file and embedding key, if any.

    Any collection will do: the vectors depend only on the bytes, the title (when
    the context prefix is on) and the key's settings. None: embed as usual.
    """
    twins = (
        Document.objects.filter(
            sha256=document.sha256,
            embedding_key=indexer.embedding_key,
            status=DocumentStatus.INDEXED,
            chunk_count__gt=0,
        )
        .exclude(id=document.id)
        .annotate(other_title=Case(When(title=document.title, then=Value(0)), default=Value(1)))
        .order_by("other_title", "-indexed_at", "-id")
        .values_list("id", "chunk_count", "title", "title_source")[:REUSE_CANDIDATES]
    )
    for source_id, chunk_count, twin_title, twin_title_source in twins:
        title = _title_like_twin(document, meta, twin_title, twin_title_source)
        if title is None:
            continue
        result = indexer.copy_document(
            source_id,
            meta=dataclasses.replace(meta, title=title),
            chunk_count=chunk_count,
            on_progress=on_progress,
        )
        if result is not None:
            return result
    return None


def _title_like_twin(
    document: Document, meta: DocumentMeta, twin_title: str, twin_title_source: str
) -> str | None:
    """The title ``document`` would get from its file, judged by a twin with the same bytes.

    None when the twin's title (an administrator's) does not tell.
    """
    if meta.title:
        return meta.title
    if twin_title_source == TitleSource.DOCUMENT:
        return twin_title  # the same bytes name themselves the same way
    if twin_title_source == TitleSource.FILENAME:
        return file_title(document.filename) or document.filename
    return None


def _given_title(document: Document) -> str:
    """The title indexing must keep (an administrator's); "" lets the document name itself."""
    return document.title if document.title_source == TitleSource.ADMIN else ""


def _title_fields(document: Document, result: IndexResult) -> dict[str, str]:
    """The Document row's title after indexing: the one the passages carry."""
    if document.title_source == TitleSource.ADMIN or not result.title:
        return {}
    from_name = result.title == (file_title(document.filename) or document.filename)
    return {
        "title": result.title[:TITLE_LENGTH],
        "title_source": TitleSource.FILENAME if from_name else TitleSource.DOCUMENT,
    }


def document_ingest(*, document_id: int, stalled_after_s: int | None = None) -> None:
    """Index one document (or copy a twin's vectors); idempotent (twice = same points)."""
    from webapp.config.settings import get_settings

    stalled = (
        stalled_after_s if stalled_after_s is not None else get_settings().worker.stalled_after_s
    )
    document = _claim(document_id, stalled_after_s=stalled)
    if document is None:
        logger.info("document %s: nothing to do (done, deleted or taken)", document_id)
        return
    meta = DocumentMeta(
        document_id=document.id,
        collection_id=document.collection_id,
        group_ids=document_reader_group_ids(document),
        title=_given_title(document),
        sha256=document.sha256,
    )
    started = time.monotonic()
    on_progress = _report(document.id, document.version)
    try:
        # Opening the indexes can fail too (server down, wrong embedding): the document
        # must then be queued again or failed with the reason, never left mid-stage.
        targets = write_engines()
        result, embedding_key = _index_everywhere(document, meta, targets, on_progress)
    except TRANSIENT_ERRORS as exc:
        Document.objects.filter(id=document.id, version=document.version).update(
            status=DocumentStatus.QUEUED, error_code=exc.code, error_message=f"{exc} (will retry)"
        )
        raise
    except RetrievalError as exc:
        logger.info("document %s failed: %s", document.id, exc.code)
        _fail(document.id, version=document.version, code=exc.code, message=str(exc))
        return
    except Exception as exc:  # the worker must survive any bad file
        logger.exception("document %s: unexpected error during ingestion", document.id)
        _fail(
            document.id,
            version=document.version,
            code="internal_error",
            message=f"Unexpected error: {type(exc).__name__}: {exc}",
        )
        return
    with transaction.atomic():
        # The version guard: a file replaced (folder sync) while we indexed the old one
        # is queued again; this run's result must not mark the new version indexed.
        updated = Document.objects.filter(
            id=document.id, status__in=IN_PROGRESS_STATUSES, version=document.version
        ).update(
            status=DocumentStatus.INDEXED,
            chunk_count=result.chunk_count,
            progress_done=result.chunk_count,
            progress_total=result.chunk_count,
            indexed_at=timezone.now(),
            heartbeat_at=timezone.now(),
            embedding_key=embedding_key,
            vectors_reused_from=result.reused_from,
            **_title_fields(document, result),
        )
    if not updated:
        if Document.objects.filter(id=document.id).exists():
            logger.info(
                "document %s changed during ingestion; the new version is queued", document.id
            )
            return
        # Deleted while we worked: make sure nothing we wrote survives.
        for engines in targets:
            engines.store.delete_document(document.id)
        logger.info(
            "document %s was deleted during ingestion; its points were removed", document.id
        )
        return
    _apply_current_groups(document, written=meta.group_ids, targets=targets)
    CHUNKS_INDEXED.inc(result.chunk_count)
    logger.info(
        "document %s indexed: %s chunks in %.1f s (%s)",
        document.id,
        result.chunk_count,
        time.monotonic() - started,
        "embedded"
        if result.reused_from is None
        else f"vectors reused from document {result.reused_from}",
    )


def documents_requeue_stalled(*, stalled_after_s: int) -> list[int]:
    """Requeue queued or in-progress documents silent for ``stalled_after_s`` seconds."""
    stale = timezone.now() - timedelta(seconds=stalled_after_s)
    candidates = Document.objects.filter(status__in=IN_PROGRESS_STATUSES).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, updated_at__lt=stale)
    )
    ids = list(candidates.values_list("id", flat=True))
    if ids:
        # updated_at too: a requeued document counts as stalled again only after another
        # stalled_after_s, not at every tick while it waits behind others in the queue.
        Document.objects.filter(id__in=ids).update(
            status=DocumentStatus.QUEUED, heartbeat_at=None, updated_at=timezone.now()
        )
        for document_id in ids:
            transaction.on_commit(lambda d=document_id: enqueue_ingest(d))
        logger.warning("requeued %s stalled documents: %s", len(ids), ids)
    return ids


def documents_requeue_orphaned() -> list[int]:
    """At start of an embedded server every unfinished document is orphaned: requeue them all."""
    return documents_requeue_stalled(stalled_after_s=0)
