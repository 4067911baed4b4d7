"""Index-build task: one step of filling a new index for an embedding-model change."""

from __future__ import annotations

from retrieval.errors import EmbeddingModelError, IndexUnavailableError
from webapp.knowledge.rebuild import search_index_build_step
from worker.celery_app import app
from worker.contracts import BUILD_INDEX, enqueue_build_index
from worker.tasks.options import retrying


@app.task(name=BUILD_INDEX, **retrying(IndexUnavailableError, EmbeddingModelError))
def build_index(index_id: int, token: str) -> None:
    """Build the next documents into the new index, then queue the next step (or it switched)."""
    following = search_index_build_step(index_id=index_id, token=token)
    if following is not None:
        enqueue_build_index(index_id, following)
