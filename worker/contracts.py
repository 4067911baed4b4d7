"""Task names and payloads: all the web app needs to know about the worker.

Payloads are plain JSON objects; ``*_payload`` functions round-trip them
through JSON so a payload that would not serialize fails at the call site.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

__all__ = [
    "APPLY_COLLECTION_GROUPS",
    "BUILD_INDEX",
    "INGEST_DOCUMENT",
    "RECONCILE_DOCUMENTS",
    "SYNC_FOLDERS",
    "BuildIndexPayload",
    "CollectionPayload",
    "IngestPayload",
    "build_index_payload",
    "collection_payload",
    "enqueue_apply_collection_groups",
    "enqueue_build_index",
    "enqueue_ingest",
    "enqueue_sync_folders",
    "ingest_payload",
]

INGEST_DOCUMENT = "enclave.ingest_document"
RECONCILE_DOCUMENTS = "enclave.reconcile_documents"
# Periodic: sync every folder of ENCLAVE_SYNC_FOLDERS into its collection (no payload).
SYNC_FOLDERS = "enclave.sync_folders"
# One step of building a new vector index (embedding-model change); each step queues the next.
BUILD_INDEX = "enclave.build_index"
SYNC_EXPIRES_S = 3600
INGEST_EXPIRES_S = 24 * 3600
# Copy a collection's current groups onto its points (payload only, no re-embedding).
APPLY_COLLECTION_GROUPS = "enclave.apply_collection_groups"
# An expired message is not lost: the reconciler requeues a collection whose groups lag.
APPLY_GROUPS_EXPIRES_S = 24 * 3600


class IngestPayload(TypedDict):
    document_id: int


def ingest_payload(document_id: int) -> IngestPayload:
    """The payload of an ingest task, checked to survive JSON."""
    payload: dict[str, Any] = json.loads(json.dumps({"document_id": int(document_id)}))
    return IngestPayload(document_id=payload["document_id"])


def enqueue_ingest(document_id: int) -> None:
    """Send an ingest task by name (call inside ``transaction.on_commit``)."""
    from worker.celery_app import app

    app.send_task(
        INGEST_DOCUMENT, kwargs=dict(ingest_payload(document_id)), expires=INGEST_EXPIRES_S
    )


class CollectionPayload(TypedDict):
    collection_id: int


def collection_payload(collection_id: int) -> CollectionPayload:
    """The payload of a collection task, checked to survive JSON."""
    payload: dict[str, Any] = json.loads(json.dumps({"collection_id": int(collection_id)}))
    return CollectionPayload(collection_id=payload["collection_id"])


def enqueue_apply_collection_groups(collection_id: int) -> None:
    """Send the group-change task by name (call inside ``transaction.on_commit``)."""
    from worker.celery_app import app

    app.send_task(
        APPLY_COLLECTION_GROUPS,
        kwargs=dict(collection_payload(collection_id)),
        expires=APPLY_GROUPS_EXPIRES_S,
    )


def enqueue_sync_folders() -> None:
    """Send the folder-sync task by name (the embedded runtime's stand-in for beat)."""
    from worker.celery_app import app

    app.send_task(SYNC_FOLDERS, kwargs={}, expires=SYNC_EXPIRES_S)


class BuildIndexPayload(TypedDict):
    index_id: int
    token: str


def build_index_payload(index_id: int, token: str) -> BuildIndexPayload:
    """The payload of an index-build step, checked to survive JSON."""
    payload: dict[str, Any] = json.loads(json.dumps({"index_id": int(index_id), "token": token}))
    return BuildIndexPayload(index_id=payload["index_id"], token=payload["token"])


def enqueue_build_index(index_id: int, token: str) -> None:
    """Send the next step of an index build by name (call inside ``transaction.on_commit``)."""
    from worker.celery_app import app

    app.send_task(
        BUILD_INDEX, kwargs=dict(build_index_payload(index_id, token)), expires=INGEST_EXPIRES_S
    )
