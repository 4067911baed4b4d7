"""The vector index in a backup: a snapshot of the active index, and its reconciliation on restore.

With the embedded defaults ``enclave serve`` owns the Qdrant Edge shard and no
other process may open it, so the backup asks the server's own worker to take
the snapshot (a task through the broker; the answer is a small JSON file next
to the snapshot, since the embedded broker keeps no results). Without a running
server, or with a Qdrant server, this process takes it.

The restore compares every point of the snapshot with the restored database:
points of documents the database does not hold, or of another version of a
document (another sha256), are deleted; documents whose points are missing or
incomplete are queued to be indexed again from their originals.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from retrieval import index_store_config
from retrieval.store.snapshots import RestoredIndex, Snapshottable, restore_snapshot
from webapp import runtime
from webapp.backup.manifest import BackupError
from webapp.config.settings import get_settings
from webapp.knowledge.models import Document, DocumentStatus, SearchIndex, SearchIndexState

__all__ = [
    "INDEX_DIR",
    "IndexRepair",
    "index_reconcile",
    "index_restore",
    "index_snapshot",
    "index_snapshot_answer",
]

logger = logging.getLogger(__name__)

INDEX_DIR = "index"
ANSWER_FILE = "snapshot-answer.json"
POLL_S = 0.5


def index_snapshot(*, target: Path, timeout_s: float) -> int:
    """Snapshot the active index into ``target`` (a new folder); returns its points."""
    if get_settings().embedded and runtime.serve_is_running():
        return _snapshot_through_server(target, timeout_s)
    from webapp.knowledge.index_engines import active_engines

    store = active_engines().store
    if not isinstance(store, Snapshottable):
        raise BackupError(f"The {type(store).__name__} index cannot be snapshotted.")
    return store.snapshot(target)


def _snapshot_through_server(target: Path, timeout_s: float) -> int:
    from worker.contracts import enqueue_snapshot_index

    answer = target.with_name(ANSWER_FILE)
    answer.unlink(missing_ok=True)
    enqueue_snapshot_index(str(target), str(answer))
    deadline = time.monotonic() + timeout_s
    while not answer.exists():
        if time.monotonic() > deadline:
            raise BackupError(
                f"enclave serve did not take the index snapshot within {timeout_s:.0f} s "
                "(its worker may be busy ingesting: try again later, or with a longer --timeout)."
            )
        time.sleep(POLL_S)
    reply = json.loads(answer.read_text())
    answer.unlink()
    if "error" in reply:
        raise BackupError(f"enclave serve could not snapshot the index: {reply['error']}")
    return int(reply["points"])


def index_snapshot_answer(*, target: Path, answer: Path) -> None:
    """In the server's worker: snapshot the active index, then write the answer file."""
    from retrieval.errors import RetrievalError
    from webapp.knowledge.index_engines import active_engines

    try:
        store = active_engines().store
        if not isinstance(store, Snapshottable):
            raise BackupError(f"The {type(store).__name__} index cannot be snapshotted.")
        reply: dict[str, object] = {"points": store.snapshot(target)}
    except (RetrievalError, BackupError, OSError) as exc:
        logger.warning("index snapshot failed: %s", exc)
        reply = {"error": str(exc)}
    partial = answer.with_name(answer.name + ".partial")
    partial.write_text(json.dumps(reply))
    partial.rename(answer)  # the CLI sees the whole answer or none


def index_restore(*, source: Path, index: dict[str, object]) -> RestoredIndex:
    """Put the snapshot into the configured store as the active index's.

    A build for another model that ran during the backup is dropped (its index
    is not in the backup): ``enclave serve`` starts it again when the
    configured model still differs.
    """
    SearchIndex.objects.filter(state=SearchIndexState.BUILDING).delete()
    config = index_store_config(get_settings().store_config(), str(index["name"]))
    return restore_snapshot(config, source, dimension=int(str(index["dimension"])))


@dataclass(frozen=True)
class IndexRepair:
    """What the reconciliation changed."""

    orphan_documents: int  # documents with points but no row: points deleted
    requeued: int  # documents indexed again from their originals
    missing_originals: list[str]  # documents that cannot be indexed again: marked failed


def index_reconcile(restored: RestoredIndex) -> IndexRepair:
    """Make the restored index and database agree (see the module's docstring)."""
    from webapp.knowledge.index_engines import active_engines
    from webapp.knowledge.ingestion import documents_requeue_stalled
    from webapp.knowledge.models import requeue_fields

    points = {i: count for i, (count, _) in restored.documents.items()}
    hashes = {i: set(shas) for i, (_, shas) in restored.documents.items()}
    store = active_engines().store
    rows = {d.id: d for d in Document.objects.exclude(status=DocumentStatus.DELETING)}
    known = set(Document.objects.values_list("id", flat=True))
    orphans = [i for i in points if i not in known]
    stale = [
        d
        for d in rows.values()
        if d.status == DocumentStatus.INDEXED
        and (points.get(d.id, 0) != d.chunk_count or hashes.get(d.id, {d.sha256}) != {d.sha256})
    ]
    for document_id in [*orphans, *(d.id for d in stale)]:
        store.delete_document(document_id)
    missing = [d for d in stale if not Path(d.stored_path).is_file()]
    with transaction.atomic():
        Document.objects.filter(id__in=[d.id for d in stale]).update(**requeue_fields())
        Document.objects.filter(id__in=[d.id for d in missing]).update(
            status=DocumentStatus.FAILED,
            error_code="original_missing",
            error_message="The original file is not in the backup; upload it again.",
        )
        documents_requeue_stalled(stalled_after_s=0)  # also what was queued at backup time
    return IndexRepair(
        orphan_documents=len(orphans),
        requeued=len(stale) - len(missing),
        missing_originals=[d.title for d in missing],
    )
