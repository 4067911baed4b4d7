"""Ingestion task: thin, idempotent, retries only named transient errors."""

from __future__ import annotations

from retrieval.errors import EmbeddingModelError, IndexUnavailableError
from webapp.knowledge.ingestion import document_ingest
from worker.celery_app import app
from worker.contracts import INGEST_DOCUMENT
from worker.tasks.options import retrying


@app.task(name=INGEST_DOCUMENT, **retrying(IndexUnavailableError, EmbeddingModelError))
def ingest_document(document_id: int) -> None:
    """Parse, chunk, embed and index one document."""
    document_ingest(document_id=document_id)
