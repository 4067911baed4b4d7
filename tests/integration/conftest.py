"""A live embedded Celery worker, helpers to wait for ingestion, settings rebuilt for one test."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.documents import wait_for_documents  # noqa: F401  (re-export for tests)
from tests.support.settings_env import settings_apply, settings_restore


@pytest.fixture(scope="session")
def live_worker(django_db_setup, django_db_blocker) -> Iterator[object]:
    """A real Celery worker thread consuming the configured broker (SQLite file or Redis)."""
    from worker.celery_app import app
    from worker.embedded import EmbeddedWorker

    with django_db_blocker.unblock():
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(app.conf.task_default_queue)
        worker = EmbeddedWorker(app)
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def wait_indexed(live_worker):
    """Wait until documents reach indexed or failed; returns their rows."""

    def wait(document_ids: list[int], timeout_s: float = 180.0):
        return wait_for_documents(document_ids, timeout_s=timeout_s)

    return wait


@pytest.fixture
def ingest_handbook(tmp_path, wait_indexed):
    """Upload the staff handbook PDF into a collection for real; waits until it is indexed."""
    from django.db import transaction

    from tests.support.documents import make_handbook_pdf
    from webapp.knowledge.services import document_create

    def ingest(collection, actor):
        path = make_handbook_pdf(tmp_path / "handbook.pdf")
        with transaction.atomic(), path.open("rb") as handle:
            document, _ = document_create(
                collection=collection,
                filename=path.name,
                content=handle,
                title="Staff Handbook",
                actor=actor,
            )
        assert wait_indexed([document.id])[document.id].status == "indexed"
        return document

    return ingest


@pytest.fixture(scope="session")
def second_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local sentence-transformers directory with 128-dimension vectors (made offline)."""
    from tests.support.models import make_projected_model

    return make_projected_model(tmp_path_factory.mktemp("models") / "minilm-128")


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``configure(ENCLAVE_X="...")`` rebuilds the settings and chat router, for one test."""
    yield functools.partial(settings_apply, monkeypatch)
    settings_restore(monkeypatch)
