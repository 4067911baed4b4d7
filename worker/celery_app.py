"""The Celery app, built from the settings object (a composition root)."""

from __future__ import annotations

import os

from celery import Celery

from webapp.config.settings import EnclaveSettings, get_settings
from worker import (
    broker,
    request_ids,  # noqa: F401  (connects the signals that carry request ids)
)
from worker.contracts import RECONCILE_DOCUMENTS, SYNC_FOLDERS

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.config.django_settings")

__all__ = ["app", "create_app"]


def _broker_url(settings: EnclaveSettings) -> str:
    url = settings.broker_url_or_default()
    if url.startswith("sqla+sqlite:"):
        broker.register()
        return f"{broker.SCHEME}+{url.removeprefix('sqla+')}"
    return url


def _transport_options(broker_url: str) -> dict[str, object]:
    if broker_url.startswith(("redis://", "rediss://")):
        # Redis redelivers unacked tasks after this: longer than the longest ingestion.
        return {"visibility_timeout": 6 * 3600}
    # The SQLAlchemy transport hands its options to create_engine().
    return {}


def _beat_schedule(settings: EnclaveSettings) -> dict[str, dict[str, object]]:
    schedule: dict[str, dict[str, object]] = {
        "reconcile-documents": {
            "task": RECONCILE_DOCUMENTS,
            "schedule": float(settings.worker.reconcile_interval_s),
        }
    }
    if settings.ingestion.sync_folders or settings.ingestion.sync_sources:
        schedule["sync-folders"] = {
            "task": SYNC_FOLDERS,
            "schedule": float(settings.ingestion.sync_interval_s),
        }
    return schedule


def create_app(settings: EnclaveSettings) -> Celery:
    """A Celery app for these settings: JSON only, late acks, one task at a time per slot."""
    broker_url = _broker_url(settings)
    celery = Celery(
        "enclave",
        broker=broker_url,
        include=[
            "worker.tasks.access",
            "worker.tasks.backup",
            "worker.tasks.evalsets",
            "worker.tasks.ingestion",
            "worker.tasks.maintenance",
            "worker.tasks.rebuild",
            "worker.tasks.sync",
        ],
    )
    celery.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker.concurrency or 1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.worker.queue_name,
        broker_transport_options=_transport_options(broker_url),
        beat_schedule=_beat_schedule(settings),
        timezone="UTC",
    )
    return celery


app = create_app(get_settings())
