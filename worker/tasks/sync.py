"""Periodic sync of folders and remote sources: thin and idempotent (unchanged: nothing done)."""

from __future__ import annotations

from webapp.knowledge.sync import folders_sync_configured
from worker.celery_app import app
from worker.contracts import SYNC_FOLDERS


@app.task(name=SYNC_FOLDERS, acks_late=True)
def sync_folders() -> int:
    """Sync ENCLAVE_SYNC_FOLDERS and ENCLAVE_SYNC_SOURCES; returns the documents queued."""
    return len(folders_sync_configured())
