"""The request id of the web request that sent a task, carried in a header and set while it runs.

An upload's ingestion logs under the upload request's id; a task sent by another
task (the next step of an index build) keeps it. Tasks sent by no request (the
reconciler, beat) log without one.
"""

from __future__ import annotations

from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from webapp.config.logs import REQUEST_ID, accepted_request_id, current_request_id

__all__ = ["HEADER"]

HEADER = "enclave_request_id"


@before_task_publish.connect(weak=False)
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Add the current request id to the message headers of a task being sent."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(HEADER, request_id)


@task_prerun.connect(weak=False)
def _bind_request_id(task: Any = None, **_: Any) -> None:
    """Make the task's request id (or none) current on the thread that runs it."""
    sent = task.request.get(HEADER) if task is not None else None
    REQUEST_ID.set(accepted_request_id(sent) if isinstance(sent, str) else None)


@task_postrun.connect(weak=False)
def _unbind_request_id(**_: Any) -> None:
    """The next task on this thread starts without the last one's id."""
    REQUEST_ID.set(None)
