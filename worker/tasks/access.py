"""Group changes: thin and idempotent (it writes the collection's current groups, not a diff)."""

from __future__ import annotations

from retrieval.errors import IndexUnavailableError
from webapp.knowledge.access import collection_groups_apply
from worker.celery_app import app
from worker.contracts import APPLY_COLLECTION_GROUPS
from worker.tasks.options import retrying


@app.task(name=APPLY_COLLECTION_GROUPS, **retrying(IndexUnavailableError))
def apply_collection_groups(collection_id: int) -> int | None:
    """Copy a collection's groups onto its points; returns the groups version written."""
    return collection_groups_apply(collection_id=collection_id)
