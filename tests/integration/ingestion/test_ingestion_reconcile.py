"""The reconciler requeues a stalled document once per stall, not at every tick.

A queue whose messages were lost (a Redis restart without persistence) leaves
documents queued with no progress; the reconciler sends them again. While a
requeued document waits behind others it must not be sent again at every tick
(seconds apart): that multiplied the messages by the number of ticks.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from webapp.knowledge.ingestion import documents_requeue_stalled
from webapp.knowledge.models import Collection, Document, DocumentStatus

pytestmark = pytest.mark.django_db


def _document(collection: Collection, name: str, status: str, idle_s: int) -> Document:
    document = Document.objects.create(
        collection=collection,
        title=name,
        filename=f"{name}.md",
        mime_type="text/markdown",
        size_bytes=10,
        sha256=name * 8,
        stored_path=f"/nonexistent/{name}",
        status=status,
    )
    # update(): auto_now would overwrite updated_at on save().
    Document.objects.filter(id=document.id).update(
        updated_at=timezone.now() - timedelta(seconds=idle_s)
    )
    return document


def test_a_stalled_document_is_requeued_once_per_stall() -> None:
    collection = Collection.objects.create(name="Reconciled")
    lost = _document(collection, "lost", DocumentStatus.QUEUED, idle_s=600)
    stuck = _document(collection, "stuck", DocumentStatus.EMBEDDING, idle_s=600)
    recent = _document(collection, "recent", DocumentStatus.QUEUED, idle_s=5)
    done = _document(collection, "done", DocumentStatus.INDEXED, idle_s=600)

    first = documents_requeue_stalled(stalled_after_s=300)
    second = documents_requeue_stalled(stalled_after_s=300)

    assert sorted(first) == sorted([lost.id, stuck.id])
    assert second == []
    statuses = dict(Document.objects.values_list("filename", "status"))
    assert statuses == {
        "lost.md": "queued",
        "stuck.md": "queued",
        "recent.md": "queued",
        "done.md": "indexed",
    }
    assert recent.id not in first and done.id not in first
