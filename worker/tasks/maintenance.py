"""Periodic maintenance: requeue stalled documents, index builds and group changes; end
evaluation runs that lost their worker."""

from __future__ import annotations

from webapp.config.settings import get_settings
from webapp.evalsets.services import eval_runs_fail_stalled
from webapp.knowledge.access import collections_requeue_unapplied_groups
from webapp.knowledge.ingestion import documents_requeue_stalled
from webapp.knowledge.rebuild import search_indexes_requeue_stalled
from worker.celery_app import app
from worker.contracts import RECONCILE_DOCUMENTS


@app.task(name=RECONCILE_DOCUMENTS, acks_late=True)
def reconcile_documents() -> int:
    """Requeue stalled documents, index builds and lagging group changes; end stalled
    evaluation runs.

    Returns the documents requeued.
    """
    stalled_after_s = get_settings().worker.stalled_after_s
    search_indexes_requeue_stalled(stalled_after_s=stalled_after_s)
    collections_requeue_unapplied_groups(older_than_s=stalled_after_s)
    eval_runs_fail_stalled(stalled_after_s=stalled_after_s)
    return len(documents_requeue_stalled(stalled_after_s=stalled_after_s))
