"""Compacting a Qdrant Edge shard: rewrite it with its live points only (deleted text leaves disk).

Deleting points in Qdrant only marks them deleted. Their payloads (the passage
text) stay in the segment's ``payload_storage`` until an optimizer vacuums the
segment, and the write-ahead log keeps the upserts that wrote them until 32 MB
of later operations roll its file over. Edge has no call that truncates the
WAL, and removing its files breaks point versions (measured: after a fresh WAL,
an overwrite of an existing point was silently ignored). So a compaction copies
every live point (vectors and payload) into a fresh shard beside the old one,
then swaps the directories: the deleted text is in neither the new segments
nor the new WAL. About 4 s per 20,000 points of 384 dimensions on 2 busy cores.

A deletion leaves a marker file in the shard (``mark_erasure_pending``) that
outlives restarts; the copy does not carry it, so a finished swap clears it.

Crash safety: the copy is built in ``<dir>.compacting`` and renamed into place
only when complete, after the old directory has moved to ``<dir>.old``.
``recover`` runs before every open and finishes or undoes a swap a crash cut.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import qdrant_edge as qe

__all__ = [
    "PENDING_FILE",
    "Compactable",
    "copy_live_points",
    "copy_points",
    "erasure_pending",
    "mark_erasure_pending",
    "recover",
    "swap_in",
]

PENDING_FILE = "erasure-pending"
COPY_PAGE = 512


@runtime_checkable
class Compactable(Protocol):
    """A store whose files keep deleted points' text until it is compacted (Qdrant Edge)."""

    @property
    def erasure_pending(self) -> bool:
        """Whether a document was deleted since the last compaction."""
        ...

    def compact(self) -> int:
        """Rewrite the store with its live points only; returns how many were kept."""
        ...


def _compacting(path: Path) -> Path:
    return path.with_name(path.name + ".compacting")


def _old(path: Path) -> Path:
    return path.with_name(path.name + ".old")


def recover(path: Path) -> None:
    """Finish or undo a compaction that a crash interrupted (before opening ``path``)."""
    if not path.exists() and _old(path).exists():
        _old(path).rename(path)  # cut between the two renames: the old shard is whole
    shutil.rmtree(_compacting(path), ignore_errors=True)  # an unfinished copy
    shutil.rmtree(_old(path), ignore_errors=True)  # the swap had finished


def mark_erasure_pending(path: Path) -> None:
    """Note that deleted points' text may still be on disk in this shard."""
    (path / PENDING_FILE).touch()


def erasure_pending(path: Path) -> bool:
    """Whether a deletion happened since the last compaction."""
    return (path / PENDING_FILE).exists()


def copy_live_points(
    source: qe.EdgeShard, path: Path, create: Callable[[Path], qe.EdgeShard]
) -> int:
    """Copy every point of ``source`` into a fresh shard ``create``d beside ``path``; the count.

    The fresh shard is flushed and closed, ready for ``swap_in``.
    """
    target_path = _compacting(path)
    shutil.rmtree(target_path, ignore_errors=True)
    target = create(target_path)
    try:
        copied = copy_points(source, target)
        target.flush()
    finally:
        target.close()
    return copied


def copy_points(source: qe.EdgeShard, target: qe.EdgeShard) -> int:
    """Upsert every point of ``source`` (vectors and payload) into ``target``; the count."""
    copied, offset = 0, None
    while True:
        request = qe.ScrollRequest(
            offset=offset, limit=COPY_PAGE, with_payload=True, with_vector=True
        )
        records, offset = source.scroll(request)
        if records:
            points = [qe.Point(r.id, r.vector, r.payload) for r in records]
            target.update(qe.UpdateOperation.upsert_points(points))
            copied += len(points)
        if offset is None:
            return copied


def swap_in(path: Path, load: Callable[[Path], Any]) -> Any:
    """Put the finished copy at ``path`` (the old shard's files go) and ``load`` it."""
    path.rename(_old(path))
    _compacting(path).rename(path)
    shard = load(path)
    shutil.rmtree(_old(path), ignore_errors=True)
    return shard
