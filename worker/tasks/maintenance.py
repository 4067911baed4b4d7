"""Periodic maintenance: requeue documents whose ingestion stalled."""

from __future__ import annotations

from webapp.config.settings import get_settings
from webapp.knowledge.ingestion import documents_requeue_stalled
from worker.celery_app import app
from worker.contracts import RECONCILE_DOCUMENTS


@app.task(name=RECONCILE_DOCUMENTS, acks_late=True)
def reconcile_documents() -> int:
    """Requeue queued or in-progress documents with no recent heartbeat."""
    return len(documents_requeue_stalled(stalled_after_s=get_settings().stalled_after_s))
