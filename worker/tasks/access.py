"""Group changes: thin and idempotent (it writes the collection's current groups, not a diff)."""

from __future__ import annotations

from retrieval.errors import IndexUnavailableError
from webapp.knowledge.access import collection_groups_apply
from worker.celery_app import app
from worker.contracts import APPLY_COLLECTION_GROUPS


@app.task(
    name=APPLY_COLLECTION_GROUPS,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(IndexUnavailableError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def apply_collection_groups(collection_id: int) -> int | None:
    """Copy a collection's groups onto its points; returns the groups version written."""
    return collection_groups_apply(collection_id=collection_id)
