"""Task names and payloads: all the web app needs to know about the worker.

Payloads are plain JSON objects; ``*_payload`` functions round-trip them
through JSON so a payload that would not serialize fails at the call site.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypedDict

from kombu.exceptions import OperationalError as BrokerUnavailableError

__all__ = [
    "APPLY_COLLECTION_GROUPS",
    "BUILD_INDEX",
    "INGEST_DOCUMENT",
    "RECONCILE_DOCUMENTS",
    "SNAPSHOT_INDEX",
    "RUN_EVAL_SET",
    "SYNC_FOLDERS",
    "BuildIndexPayload",
    "CollectionPayload",
    "EvalRunPayload",
    "IngestPayload",
    "build_index_payload",
    "collection_payload",
    "eval_run_payload",
    "enqueue_apply_collection_groups",
    "enqueue_build_index",
    "enqueue_eval_run",
    "enqueue_ingest",
    "enqueue_snapshot_index",
    "enqueue_sync_folders",
    "ingest_payload",
]

logger = logging.getLogger(__name__)

INGEST_DOCUMENT = "enclave.ingest_document"
RECONCILE_DOCUMENTS = "enclave.reconcile_documents"
# Periodic: sync every folder of ENCLAVE_SYNC_FOLDERS into its collection (no payload).
SYNC_FOLDERS = "enclave.sync_folders"
# One step of building a new vector index (embedding-model change); each step queues the next.
BUILD_INDEX = "enclave.build_index"
# Run one evaluation set (the customer's own questions) against the active index.
RUN_EVAL_SET = "enclave.run_eval_set"
SYNC_EXPIRES_S = 3600
INGEST_EXPIRES_S = 24 * 3600
# Copy a collection's current groups onto its points (payload only, no re-embedding).
APPLY_COLLECTION_GROUPS = "enclave.apply_collection_groups"
# An expired message is not lost: the reconciler requeues a collection whose groups lag.
APPLY_GROUPS_EXPIRES_S = 24 * 3600
# `enclave backup` asks the process that owns the embedded index for a snapshot of it.
SNAPSHOT_INDEX = "enclave.snapshot_index"
SNAPSHOT_EXPIRES_S = 3600


def _send(name: str, kwargs: dict[str, Any], *, expires: int) -> None:
    """Send a task by name; an unreachable broker is logged, not raised.

    The database row is the source of truth and the reconciler requeues whatever
    waits too long, so a broker that is restarting (Redis) must not fail the request
    whose work is already committed: the message is sent again later.
    """
    from worker.celery_app import app

    try:
        app.send_task(name, kwargs=kwargs, expires=expires)
    except BrokerUnavailableError as exc:
        logger.warning("broker unreachable, %s %s left to the reconciler: %s", name, kwargs, exc)


def _through_json(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as the broker delivers it: a JSON round trip fails here, not in the worker."""
    decoded: dict[str, Any] = json.loads(json.dumps(payload))
    return decoded


class IngestPayload(TypedDict):
    document_id: int


def ingest_payload(document_id: int) -> IngestPayload:
    """The payload of an ingest task, checked to survive JSON."""
    payload = _through_json({"document_id": int(document_id)})
    return IngestPayload(document_id=payload["document_id"])


def enqueue_ingest(document_id: int) -> None:
    """Send an ingest task by name (call inside ``transaction.on_commit``)."""
    _send(INGEST_DOCUMENT, dict(ingest_payload(document_id)), expires=INGEST_EXPIRES_S)


class CollectionPayload(TypedDict):
    collection_id: int


def collection_payload(collection_id: int) -> CollectionPayload:
    """The payload of a collection task, checked to survive JSON."""
    payload = _through_json({"collection_id": int(collection_id)})
    return CollectionPayload(collection_id=payload["collection_id"])


def enqueue_apply_collection_groups(collection_id: int) -> None:
    """Send the group-change task by name (call inside ``transaction.on_commit``)."""
    _send(
        APPLY_COLLECTION_GROUPS,
        dict(collection_payload(collection_id)),
        expires=APPLY_GROUPS_EXPIRES_S,
    )


def enqueue_sync_folders() -> None:
    """Send the folder-sync task by name (the embedded runtime's stand-in for beat)."""
    _send(SYNC_FOLDERS, {}, expires=SYNC_EXPIRES_S)


class BuildIndexPayload(TypedDict):
    index_id: int
    token: str


def build_index_payload(index_id: int, token: str) -> BuildIndexPayload:
    """The payload of an index-build step, checked to survive JSON."""
    payload = _through_json({"index_id": int(index_id), "token": token})
    return BuildIndexPayload(index_id=payload["index_id"], token=payload["token"])


def enqueue_build_index(index_id: int, token: str) -> None:
    """Send the next step of an index build by name (call inside ``transaction.on_commit``)."""
    _send(BUILD_INDEX, dict(build_index_payload(index_id, token)), expires=INGEST_EXPIRES_S)


def enqueue_snapshot_index(target: str, answer: str) -> None:
    """Ask the worker of ``enclave serve`` to snapshot the index into ``target``."""
    payload = _through_json({"target": str(target), "answer": str(answer)})
    _send(SNAPSHOT_INDEX, payload, expires=SNAPSHOT_EXPIRES_S)


class EvalRunPayload(TypedDict):
    run_id: int


def eval_run_payload(run_id: int) -> EvalRunPayload:
    """The payload of an evaluation run, checked to survive JSON."""
    payload = _through_json({"run_id": int(run_id)})
    return EvalRunPayload(run_id=payload["run_id"])


def enqueue_eval_run(run_id: int) -> None:
    """Send an evaluation-set run by name (call inside ``transaction.on_commit``)."""
    _send(RUN_EVAL_SET, dict(eval_run_payload(run_id)), expires=INGEST_EXPIRES_S)
