"""Periodic folder sync: thin, idempotent (a second pass over unchanged folders does nothing)."""

from __future__ import annotations

from webapp.knowledge.sync import folders_sync_configured
from worker.celery_app import app
from worker.contracts import SYNC_FOLDERS


@app.task(name=SYNC_FOLDERS, acks_late=True)
def sync_folders() -> int:
    """Sync every folder of ENCLAVE_SYNC_FOLDERS; returns the documents queued."""
    return len(folders_sync_configured())
