"""Making deleted documents' text leave disk: index files and the database's write-ahead log.

``document_delete`` removes a document's points, stored file, row and the text
that stored answers took from it at once. Two engines keep deleted bytes on
disk after that: Qdrant Edge keeps deleted points' payloads until its shard is
compacted (``retrieval.store.edge_compaction``), and SQLite keeps old page
images in its write-ahead log until a checkpoint truncates it (the database
itself overwrites deleted content: ``PRAGMA secure_delete``, set in the Django
settings). ``erasure_pass`` does both; the embedded runtime runs it at every
reconciler tick (``ENCLAVE_RECONCILE_INTERVAL_S``) when a document was deleted,
and when ``enclave serve`` stops. Each pass that compacted something records a
``document.erased`` audit event: the confirmation that the text is gone.

A Qdrant server vacuums deleted points itself (its optimizer rewrites a
segment once ``deleted_threshold`` of it is deleted) and keeps its own WAL;
PostgreSQL reclaims deleted rows at VACUUM. docs/security.md says what that
means for an erasure request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.db import connection

from retrieval import Compactable
from webapp.audit.services import audit_record
from webapp.core.permissions import SYSTEM
from webapp.knowledge.index_engines import get_write_stores

__all__ = ["DOCUMENT_ERASED", "ErasureReport", "erasure_pass"]

logger = logging.getLogger(__name__)

DOCUMENT_ERASED = "document.erased"  # audit kind (a plain string: no migration of the choices)


@dataclass
class ErasureReport:
    """What one pass did: points kept per compacted store, and the log checkpoint's outcome."""

    compacted: list[int] = field(default_factory=list)
    log_truncated: bool | None = None  # None: not SQLite, or nothing to do

    @property
    def done(self) -> bool:
        """Whether the pass compacted anything."""
        return bool(self.compacted)


def erasure_pass() -> ErasureReport:
    """Compact every index a deletion touched, then truncate SQLite's write-ahead log."""
    report = ErasureReport()
    started = time.perf_counter()
    for store in get_write_stores():
        if isinstance(store, Compactable) and store.erasure_pending:
            report.compacted.append(store.compact())
    if not report.done:
        return report
    report.log_truncated = _truncate_sqlite_log()
    audit_record(
        kind=DOCUMENT_ERASED,
        actor=SYSTEM,
        detail={
            "indexes_compacted": len(report.compacted),
            "passages_kept": sum(report.compacted),
            "database_log_truncated": report.log_truncated,
        },
    )
    logger.info(
        "erasure pass: %s indexes compacted, log truncated=%s, %.1f s",
        len(report.compacted),
        report.log_truncated,
        time.perf_counter() - started,
    )
    return report


def _truncate_sqlite_log() -> bool | None:
    """Checkpoint SQLite's WAL and truncate it to zero bytes; False when a reader held it."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = cursor.fetchone()
    if busy:
        # The log goes when the last connection closes, at the latest when serve stops.
        logger.warning("database log not truncated: a reader held it")
    return not busy
