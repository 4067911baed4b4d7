"""Building a new vector index for an embedding-model change, as run by the worker.

Searches keep using the active index and its model throughout. The build walks
the documents in id order, a few per task so uploads queued meanwhile are not
held up, and writes each into the new index with the new model; ingestion,
deletion and permission changes reach both indexes while the build runs
(``webapp.knowledge.index_engines.write_engines``). Each step hands the task a token for
the next one, so a duplicate message does nothing. When no document is left the switch
is one transaction on the ``SearchIndex`` rows, and the old index is dropped.

A document the build cannot write (its original gone, a file that no longer parses)
is recorded as a ``SearchIndexSkip``; the switch marks it failed, with the reason and a
Retry in the console, rather than leaving it "indexed" and no longer searchable.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from retrieval import DocumentMeta
from retrieval.errors import EmbeddingModelError, IndexUnavailableError, RetrievalError
from webapp.core.engines import IndexEngines, drop_index, indexer_for, point_active_alias
from webapp.knowledge.index_engines import building_engines
from webapp.knowledge.models import (
    Document,
    DocumentStatus,
    SearchIndex,
    SearchIndexSkip,
    SearchIndexState,
)
from webapp.knowledge.selectors import document_reader_group_ids
from worker.contracts import enqueue_build_index

logger = logging.getLogger(__name__)

# Documents built per task; the next step is queued behind whatever arrived meanwhile.
DOCUMENTS_PER_STEP = 4
# A document changed (new version, new groups) while it was built is built again, this often.
MAX_ATTEMPTS = 3
TRANSIENT_ERRORS = (IndexUnavailableError, EmbeddingModelError)
# Checks a complete build must pass before it is switched to; each returns False to
# hold it. The admins' evaluation sets register theirs at start-up
# (webapp/evalsets/apps.py: a held build waits for an admin's confirmation).
SWITCH_CHECKS: list[Callable[..., bool]] = []
# Document.error_code of a document the switch left out of the new index.
NOT_IN_NEW_INDEX = "not_in_new_index"


def _claim(index_id: int, token: str) -> str | None:
    """Take the build step that ``token`` names; a new token, or None for a stale duplicate."""
    running = uuid.uuid4().hex
    claimed = SearchIndex.objects.filter(
        id=index_id, state=SearchIndexState.BUILDING, build_token=token
    ).update(build_token=running, heartbeat_at=timezone.now())
    return running if claimed else None


def _skip(index: SearchIndex, document: Document, *, code: str, message: str) -> None:
    """Record a document the build could not write; the switch fails it (``_fail_skipped``)."""
    if document.status == DocumentStatus.FAILED:
        return  # not searchable before either: nothing is lost
    logger.warning("index build: document %s not written: %s", document.id, code)
    SearchIndexSkip.objects.update_or_create(
        index=index,
        document_id=document.id,
        defaults={"document_version": document.version, "code": code, "message": message},
    )


def _build_document(engines: IndexEngines, index: SearchIndex, document: Document) -> None:
    """Write one document into the new index; ends right even if it changes or goes meanwhile."""
    indexer = indexer_for(engines)
    for _attempt in range(MAX_ATTEMPTS):
        path = Path(document.stored_path)
        if not path.is_file():  # the parser's reason would not say which file
            _skip(
                index,
                document,
                code="original_missing",
                message=f"its original file {path} is missing.",
            )
            return
        groups = document_reader_group_ids(document)
        meta = DocumentMeta(
            document_id=document.id,
            collection_id=document.collection_id,
            group_ids=groups,
            title=document.title,
            sha256=document.sha256,
        )
        try:
            indexer.index_file(
                path, meta=meta, mime_type=document.mime_type, filename=document.filename
            )
        except TRANSIENT_ERRORS:
            raise
        except RetrievalError as exc:  # the file does not index (any more)
            _skip(index, document, code=exc.code, message=str(exc))
            return
        except Exception as exc:  # one bad file must not stop the whole build
            logger.exception("index build: document %s skipped after an error", document.id)
            message = f"Unexpected error: {type(exc).__name__}: {exc}"
            _skip(index, document, code="internal_error", message=message)
            return
        fresh = Document.objects.select_related("collection").filter(id=document.id).first()
        if fresh is None or fresh.status == DocumentStatus.DELETING:
            # Deleted while we wrote: the deletion may have missed what we wrote last.
            engines.store.delete_document(document.id)
            return
        if fresh.version == document.version and document_reader_group_ids(fresh) == groups:
            return
        document = fresh
    logger.warning("index build: document %s kept changing; ingestion will converge", document.id)


def search_index_build_step(*, index_id: int, token: str) -> str | None:
    """Build the next few documents into the new index, or switch to it when none is left.

    Returns the token of the next step (the task queues it), or None when the
    build switched, or ``token`` was stale (a duplicate message, a build gone).
    """
    running = _claim(index_id, token)
    if running is None:
        logger.info("index build %s: step %s is stale or the build ended", index_id, token)
        return None
    try:
        return _build_step(index_id, running)
    except TRANSIENT_ERRORS:
        # Give the step back, so the task's retry of this message can claim it again (a
        # model that failed to load is as transient as a store that was busy).
        SearchIndex.objects.filter(id=index_id, build_token=running).update(build_token=token)
        raise


def _build_step(index_id: int, running: str) -> str | None:
    """The claimed step: a few documents, or the switch; the next step's token."""
    index = SearchIndex.objects.get(id=index_id)
    engines = building_engines()
    if engines is None or engines.name != index.name:
        return None
    documents = list(
        Document.objects.select_related("collection")
        .filter(id__gt=index.build_cursor)
        .exclude(status=DocumentStatus.DELETING)
        .order_by("id")[:DOCUMENTS_PER_STEP]
    )
    if not documents:
        if all(check(index=index) for check in SWITCH_CHECKS):
            search_index_switch(index=index, token=running)
        return None
    for document in documents:
        _build_document(engines, index, document)
        remaining = (
            Document.objects.filter(id__gt=document.id)
            .exclude(status=DocumentStatus.DELETING)
            .count()
        )
        index.documents_done += 1
        SearchIndex.objects.filter(id=index.id, build_token=running).update(
            build_cursor=document.id,
            documents_done=index.documents_done,
            documents_total=index.documents_done + remaining,
            heartbeat_at=timezone.now(),
        )
    following = uuid.uuid4().hex
    moved = SearchIndex.objects.filter(id=index_id, build_token=running).update(
        build_token=following, heartbeat_at=timezone.now()
    )
    return following if moved else None


def search_index_switch(*, index: SearchIndex, token: str) -> bool:
    """Make the built index the active one in one transaction, then drop the old index."""
    now = timezone.now()
    with transaction.atomic():
        old = SearchIndex.objects.select_for_update().filter(state=SearchIndexState.ACTIVE).first()
        if old is not None:
            SearchIndex.objects.filter(id=old.id).update(
                state=SearchIndexState.RETIRED, retired_at=now
            )
        switched = SearchIndex.objects.filter(
            id=index.id, state=SearchIndexState.BUILDING, build_token=token
        ).update(state=SearchIndexState.ACTIVE, activated_at=now, build_token="", heartbeat_at=now)
        if not switched:
            transaction.set_rollback(True)
            return False
        failed = _fail_skipped(index, now=now)
    logger.info(
        "index %s (%s, %s dims) is active; %s documents built",
        index.name,
        index.model_name,
        index.dimension,
        index.documents_done,
    )
    if failed:
        logger.warning("index %s: %s documents are not in it and were failed", index.name, failed)
    transaction.on_commit(lambda: point_active_alias(index.name))
    if old is not None:
        transaction.on_commit(lambda: drop_index(old.name, dimension=old.dimension))
    return True


def _fail_skipped(index: SearchIndex, *, now: datetime) -> int:
    """Fail each document the build could not write, unless indexed again or replaced since."""
    failed = 0
    for skip in SearchIndexSkip.objects.filter(index=index):
        # Indexed after the skip (a retry during the build wrote both indexes): it is there.
        failed += (
            Document.objects.filter(
                id=skip.document_id, version=skip.document_version, status=DocumentStatus.INDEXED
            )
            .filter(Q(indexed_at__isnull=True) | Q(indexed_at__lt=skip.created_at))
            .update(
                status=DocumentStatus.FAILED,
                error_code=NOT_IN_NEW_INDEX,
                error_message=f"Not in the new search index: {skip.message}",
                heartbeat_at=now,
                updated_at=now,
            )
        )
    return failed


def search_indexes_requeue_stalled(*, stalled_after_s: int) -> list[int]:
    """Queue again a build whose step went silent (lost message, killed worker)."""
    stale = timezone.now() - timedelta(seconds=stalled_after_s)
    builds = (
        SearchIndex.objects.filter(state=SearchIndexState.BUILDING)
        .filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
        # Complete and held by an evaluation set (webapp/evalsets): waits for an admin.
        .exclude(eval_check__state="held")
    )
    requeued = []
    for index in builds:
        token = uuid.uuid4().hex
        if SearchIndex.objects.filter(id=index.id, build_token=index.build_token).update(
            build_token=token, heartbeat_at=timezone.now()
        ):
            transaction.on_commit(lambda i=index.id, t=token: enqueue_build_index(i, t))
            requeued.append(index.id)
    if requeued:
        logger.warning("requeued stalled index builds: %s", requeued)
    return requeued
