"""Options of the tasks that redo their work safely: late acks, retries with backoff."""

from __future__ import annotations

from typing import Any


def retrying(*transient: type[Exception]) -> dict[str, Any]:
    """Celery task options: acknowledged after the work (a killed worker's task runs again),
    retried with jittered exponential backoff on the named transient errors only."""
    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": transient,
        "retry_backoff": 2,
        "retry_backoff_max": 300,
        "retry_jitter": True,
        "max_retries": 6,
    }
