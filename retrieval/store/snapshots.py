"""Snapshots of a vector index as a portable Qdrant Edge shard directory (backup and restore).

A snapshot is a fresh Edge shard holding every live point of one index (ids,
dense and sparse vectors, payload), whatever the index's kind:

- Qdrant Edge copies its points under its update lock: updates wait for the
  copy, searches go on, and the copy is one point in time. A plain copy of the
  shard's files would not be: segments and the write-ahead log change while
  they are read, and Edge has no call that writes a snapshot file.
- A Qdrant server or local-mode collection is scrolled. Writes made meanwhile
  may or may not be in it; the restore compares every point with the database
  and re-indexes what does not match.

Restoring writes the points into the configured index: an Edge shard takes the
directory as it is (it was flushed and closed), a server or local-mode
collection receives the points by upsert. So a backup of one kind restores into
the other (Edge to a Qdrant server when a site outgrows the embedded default).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import qdrant_edge as qe

from retrieval.config import StoreConfig
from retrieval.errors import IndexUnavailableError
from retrieval.store.base import DENSE_VECTOR, SPARSE_VECTOR

__all__ = [
    "RestoredIndex",
    "Snapshottable",
    "read_shard",
    "restore_snapshot",
    "shard_config",
    "write_shard",
]

PAGE = 512


@runtime_checkable
class Snapshottable(Protocol):
    """A store that can copy its live points into a fresh Edge shard directory."""

    def snapshot(self, target: Path) -> int:
        """Write every live point into a new shard at ``target`` (must not exist); the count."""
        ...


def shard_config(dimension: int, search_threads: int = 1) -> qe.EdgeConfig:
    """The Edge configuration of an Enclave index (named dense and sparse vectors)."""
    return qe.EdgeConfig(
        vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        max_search_threads=search_threads,
    )


def write_shard(path: Path, dimension: int, pages: Iterable[list[qe.Point]]) -> int:
    """Create a shard at ``path`` holding ``pages`` of points, flushed and closed; the count."""
    shard = qe.EdgeShard.create(str(path), shard_config(dimension))
    written = 0
    try:
        for points in pages:
            if points:
                shard.update(qe.UpdateOperation.upsert_points(points))
                written += len(points)
        shard.flush()
    finally:
        shard.close()
    return written


def read_shard(path: Path) -> Iterator[list[Any]]:
    """The records of the shard at ``path`` (payload and vectors), a page at a time."""
    try:
        shard = qe.EdgeShard.load(str(path))
    except Exception as exc:  # qdrant_edge raises plain Exception
        raise IndexUnavailableError(f"The index snapshot at {path} cannot be read: {exc}") from exc
    try:
        offset: Any = None
        while True:
            request = qe.ScrollRequest(
                offset=offset, limit=PAGE, with_payload=True, with_vector=True
            )
            records, offset = shard.scroll(request)
            if records:
                yield records
            if offset is None:
                return
    finally:
        shard.close()


@dataclass(frozen=True)
class RestoredIndex:
    """What a restored snapshot holds: its points, and per document its points and sha256s."""

    points: int
    documents: dict[int, tuple[int, frozenset[str]]]


def restore_snapshot(config: StoreConfig, source: Path, *, dimension: int) -> RestoredIndex:
    """Put the snapshot at ``source`` into the index ``config`` names, replacing it.

    Edge: the directory is copied into place. Server and local mode: the
    collection is emptied and the points are upserted. ``source`` is never
    opened itself (opening a shard rewrites some of its files): a copy is.
    """
    if config.kind == "edge":
        if config.path is None:
            raise ValueError("StoreConfig.path is required for the edge store")
        shutil.rmtree(config.path, ignore_errors=True)
        shutil.copytree(source, config.path)
        return _summary(read_shard(config.path))
    from retrieval.store import open_store
    from retrieval.store.server import ServerStore

    open_store(config, dimension=dimension).drop()  # a forced restore replaces the collection
    store = open_store(config, dimension=dimension)
    with tempfile.TemporaryDirectory(prefix="enclave-restore-") as scratch:
        copy = Path(scratch) / "index"
        shutil.copytree(source, copy)
        try:
            assert isinstance(store, ServerStore)
            return _summary(store.restore_points(read_shard(copy)))
        finally:
            store.close()


def _summary(pages: Iterable[list[Any]]) -> RestoredIndex:
    points = 0
    counts: dict[int, int] = defaultdict(int)
    hashes: dict[int, set[str]] = defaultdict(set)
    for records in pages:
        for record in records:
            document_id = int(record.payload["document_id"])
            counts[document_id] += 1
            hashes[document_id].add(str(record.payload.get("sha256", "")))
            points += 1
    return RestoredIndex(points, {i: (counts[i], frozenset(hashes[i])) for i in counts})
