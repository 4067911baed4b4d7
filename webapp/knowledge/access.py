"""Who may read a collection's points: group changes reach the index through the worker.

``collection_set_groups`` changes the database at once, bumps the collection's
``groups_version`` and queues ``enclave.apply_collection_groups`` after commit.
The task writes the current groups (not the ones in a message) onto every point
of the collection, so a retried, duplicated or late task converges; the
reconciler requeues a collection whose applied version lags behind.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from webapp.core.permissions import payload_group_ids
from webapp.knowledge.index_engines import get_write_stores
from webapp.knowledge.models import Collection
from webapp.knowledge.selectors import document_reader_group_ids
from worker.contracts import enqueue_apply_collection_groups

logger = logging.getLogger(__name__)

# Rewrites before giving up on a collection whose groups keep changing under us.
MAX_PASSES = 5


def collection_groups_changed(*, collection: Collection) -> None:
    """Record a change of the collection's groups and queue it for the index (after commit)."""
    Collection.objects.filter(id=collection.id).update(
        groups_version=F("groups_version") + 1, groups_changed_at=timezone.now()
    )
    transaction.on_commit(lambda: enqueue_apply_collection_groups(collection.id))


def collection_groups_apply(*, collection_id: int) -> int | None:
    """Write the collection's current groups onto its points; returns the version written.

    Idempotent. None when the collection is gone. A change committed while the
    points were being written is written again, so the last pass always
    carries the newest groups.
    """
    for _ in range(MAX_PASSES):
        collection = Collection.objects.filter(id=collection_id).first()
        if collection is None:
            return None
        version = collection.groups_version
        _write_groups(collection)
        Collection.objects.filter(id=collection_id, groups_applied_version__lt=version).update(
            groups_applied_version=version
        )
        if not Collection.objects.filter(id=collection_id, groups_version__gt=version).exists():
            logger.info("collection %s groups applied (version %s)", collection_id, version)
            return version
    logger.warning("collection %s groups kept changing; the newest change is queued", collection_id)
    return None


def _write_groups(collection: Collection) -> None:
    group_ids = list(payload_group_ids(collection.allowed_groups.values_list("id", flat=True)))
    # Documents restricted to fewer groups keep their restriction within the new set.
    restricted = [
        (document.id, list(document_reader_group_ids(document)))
        for document in collection.documents.filter(allowed_groups__isnull=False)
        .distinct()
        .select_related("collection")
    ]
    # Both indexes while a new embedding model's index is being built.
    for store in get_write_stores():
        store.set_collection_groups(collection.id, group_ids)
        for document_id, readers in restricted:
            store.set_document_groups(document_id, readers)


def collections_requeue_unapplied_groups(*, older_than_s: int) -> list[int]:
    """Queue again the collections whose group change has not reached the index in time."""
    stale = timezone.now() - timedelta(seconds=older_than_s)
    ids = list(
        Collection.objects.filter(
            groups_applied_version__lt=F("groups_version"), groups_changed_at__lte=stale
        ).values_list("id", flat=True)
    )
    # Restart the clock, so a change waiting behind a long queue is not sent every pass.
    Collection.objects.filter(id__in=ids).update(groups_changed_at=timezone.now())
    for collection_id in ids:
        transaction.on_commit(lambda c=collection_id: enqueue_apply_collection_groups(c))
    if ids:
        logger.warning("requeued group changes of collections %s", ids)
    return ids
