"""Ingestion task: thin, idempotent, retries only named transient errors."""

from __future__ import annotations

from retrieval.errors import EmbeddingModelError, IndexUnavailableError
from webapp.knowledge.ingestion import document_ingest
from worker.celery_app import app
from worker.contracts import INGEST_DOCUMENT


@app.task(
    name=INGEST_DOCUMENT,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(IndexUnavailableError, EmbeddingModelError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def ingest_document(document_id: int) -> None:
    """Parse, chunk, embed and index one document."""
    document_ingest(document_id=document_id)
