"""Periodic maintenance: requeue documents whose ingestion stalled, and stalled index builds."""

from __future__ import annotations

from webapp.config.settings import get_settings
from webapp.knowledge.ingestion import documents_requeue_stalled
from webapp.knowledge.rebuild import search_indexes_requeue_stalled
from worker.celery_app import app
from worker.contracts import RECONCILE_DOCUMENTS


@app.task(name=RECONCILE_DOCUMENTS, acks_late=True)
def reconcile_documents() -> int:
    """Requeue queued or in-progress documents (and index builds) with no recent heartbeat."""
    stalled_after_s = get_settings().stalled_after_s
    search_indexes_requeue_stalled(stalled_after_s=stalled_after_s)
    return len(documents_requeue_stalled(stalled_after_s=stalled_after_s))
