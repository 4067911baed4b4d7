"""Vector store on Qdrant Edge (qdrant-edge-py): the Qdrant engine inside this process."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import qdrant_edge as qe

from retrieval.errors import IndexConfigurationError, IndexUnavailableError
from retrieval.fusion import ArmHit
from retrieval.models import SparseVector
from retrieval.store import edge_compaction
from retrieval.store.base import (
    DENSE_VECTOR,
    EMBEDDING_FIELD,
    INDEXED_FIELDS,
    SPARSE_VECTOR,
    Arm,
    DocumentScroll,
    GroupsByFilter,
    IndexedChunk,
    PlannedSearch,
    SearchScope,
    check_embedding,
    payload_for,
)
from retrieval.store.snapshots import shard_config

__all__ = ["EdgeStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class EdgeStore(PlannedSearch, DocumentScroll, GroupsByFilter):
    """VectorStore on an EdgeShard directory; one process may open it at a time.

    EdgeShard is safe to query and update from several threads. HNSW is only
    built by ``optimize()``, which holds the GIL until it ends: every other
    thread of the process waits, so never call it in a serving process.
    ``compact()`` rewrites the shard so that deleted documents' text leaves disk.
    """

    def __init__(
        self,
        path: Path,
        *,
        dimension: int,
        embedding: str | None = None,
        search_threads: int = 1,
    ) -> None:
        """Open or create the shard; ``embedding`` (model/backend) is stamped on and checked.

        ``search_threads``: threads of the shard's search pool (stored with the shard,
        and replaced by the value given at each open).
        """
        self._path = Path(path)
        self._closed = False
        self._lock = threading.Lock()
        # Held by every update, and by compact() for its whole copy (searches go on).
        self._updates = threading.Lock()
        self._embedding = embedding
        self._dimension, self._search_threads = dimension, search_threads
        edge_compaction.recover(self._path)
        self._shard = self._open(dimension, search_threads)
        self._create_indexes(self._shard)
        if embedding is not None:
            self._check_embedding(embedding)

    def _create_indexes(self, shard: qe.EdgeShard) -> None:
        for field in INDEXED_FIELDS:
            # Integer lookup index: our ids are ints, and MatchAny on ints needs it.
            index = qe.IntegerIndexParams(lookup=True, range=False)
            operation = qe.UpdateOperation.create_field_index(field, index)
            self._call("create index", partial(shard.update, operation))
        if self._embedding is not None:
            keyword = qe.UpdateOperation.create_field_index(
                EMBEDDING_FIELD, qe.KeywordIndexParams()
            )
            self._call("create index", partial(shard.update, keyword))

    def _check_embedding(self, embedding: str) -> None:
        same = qe.FieldCondition(EMBEDDING_FIELD, match=qe.MatchValue(embedding))
        other = qe.Filter(must_not=[same])
        request = qe.ScrollRequest(limit=1, filter=other, with_payload=True, with_vector=False)
        records, _ = self._call("scroll", partial(self._shard.scroll, request))
        try:
            check_embedding(str(self._path), embedding, records[0].payload if records else None)
        except IndexConfigurationError:
            self.close()
            raise

    @staticmethod
    def _config(dimension: int, search_threads: int) -> qe.EdgeConfig:
        return shard_config(dimension, search_threads)

    def _open(self, dimension: int, search_threads: int) -> qe.EdgeShard:
        config = self._config(dimension, search_threads)
        exists = (self._path / "edge_config.json").exists() or (self._path / "segments").exists()
        try:
            if exists:
                shard = qe.EdgeShard.load(str(self._path), config)
            else:
                self._path.mkdir(parents=True, exist_ok=True)
                shard = qe.EdgeShard.create(str(self._path), config)
        except Exception as exc:  # qdrant_edge raises plain Exception
            text = str(exc)
            if "incompatible" in text.lower():
                raise IndexConfigurationError(
                    f"The vector index at {self._path} was built with other settings: {text}"
                ) from exc
            raise IndexUnavailableError(
                f"The vector index at {self._path} could not be opened: {text}"
            ) from exc
        logger.info("edge store opened path=%s created=%s", self._path, not exists)
        return shard

    def upsert(self, points: Sequence[IndexedChunk]) -> None:
        """Insert or overwrite points."""
        if not points:
            return
        edge_points = [
            qe.Point(
                p.point_id,
                {DENSE_VECTOR: list(p.dense), SPARSE_VECTOR: _sparse(p.sparse)},
                payload_for(p, embedding=self._embedding),
            )
            for p in points
        ]
        self._call(
            "upsert",
            lambda: self._shard.update(qe.UpdateOperation.upsert_points(edge_points)),
            update=True,
        )

    def delete_document(self, document_id: int, *, keep_point_ids: Collection[str] = ()) -> None:
        """Remove the document's points except ``keep_point_ids``."""
        must_not: list[Any] | None = None
        if keep_point_ids:
            must_not = [qe.HasIdCondition(set(keep_point_ids))]
        selector = qe.Filter(must=[_match("document_id", document_id)], must_not=must_not)
        if not keep_point_ids:  # a document leaves: its text must leave disk too (compact)
            edge_compaction.mark_erasure_pending(self._path)
        self._call(
            "delete",
            lambda: self._shard.update(qe.UpdateOperation.delete_points_by_filter(selector)),
            update=True,
        )

    def _set_groups(self, field: str, value: int, group_ids: Sequence[int]) -> None:
        operation = qe.UpdateOperation.set_payload_by_filter(
            qe.Filter(must=[_match(field, value)]), {"group_ids": [int(g) for g in group_ids]}
        )
        self._call("set groups", lambda: self._shard.update(operation), update=True)

    def _run_arms(self, arms: Sequence[Arm], scope: SearchScope) -> list[list[ArmHit]]:
        """Each arm as one Edge query (ids and scores only), all in one batch."""
        acl = _acl(scope)
        requests = [
            qe.QueryRequest(
                limit=arm.limit,
                query=qe.Query.Nearest(_vector(arm), using=arm.using),
                filter=acl,
                with_payload=False,
                with_vector=[arm.using] if arm.with_terms else False,
            )
            for arm in arms
        ]
        results = self._call(
            "search", lambda: self._shard.query_batch(qe.QueryBatchRequest(requests))
        )
        return [
            [arm.hit(hit.id, hit.score, hit.vector) for hit in hits]
            for arm, hits in zip(arms, results, strict=True)
        ]

    def _payloads(self, point_ids: Sequence[str], scope: SearchScope) -> dict[str, Any]:
        """The chosen chunks' payloads, read under the scope filter again."""
        chosen = _acl(scope, qe.HasIdCondition(set(point_ids)))
        request = qe.ScrollRequest(
            limit=len(point_ids), filter=chosen, with_payload=True, with_vector=False
        )
        records, _ = self._call("search", partial(self._shard.scroll, request))
        return {str(record.id): record.payload or {} for record in records}

    def count(self, *, document_id: int | None = None) -> int:
        """Count points, optionally of one document."""
        selector = None
        if document_id is not None:
            selector = qe.Filter(must=[_match("document_id", document_id)])
        return self._call(
            "count", lambda: self._shard.count(qe.CountRequest(exact=True, filter=selector))
        )

    def _scroll(self, document_id: int, limit: int, *, with_data: bool) -> Iterator[list[Any]]:
        """One document's records, a page at a time (payload and vectors when ``with_data``)."""
        selector = qe.Filter(must=[_match("document_id", document_id)])
        offset: Any = None
        while True:
            request = qe.ScrollRequest(
                offset=offset,
                limit=limit,
                filter=selector,
                with_payload=with_data,
                with_vector=with_data,
            )
            records, offset = self._call("scroll", partial(self._shard.scroll, request))
            if records:
                yield records
            if offset is None:
                return

    def optimize(self) -> bool:
        """Build HNSW and merge segments; minutes on big indexes, holding the GIL throughout."""
        return self._call("optimize", self._shard.optimize)

    @property
    def erasure_pending(self) -> bool:
        """Whether a document was deleted since the last ``compact()``."""
        return edge_compaction.erasure_pending(self._path)

    def compact(self) -> int:
        """Rewrite the shard with its live points only; returns how many were kept.

        Deleted documents' text leaves the segment files and the write-ahead log
        (``edge_compaction`` says why nothing less does). Updates wait meanwhile;
        searches go on against the old shard until the swap.
        """
        config = self._config(self._dimension, self._search_threads)

        def create(path: Path) -> qe.EdgeShard:
            shard = qe.EdgeShard.create(str(path), config)
            self._create_indexes(shard)
            return shard

        with self._updates:
            self._call("flush", self._shard.flush)
            kept = self._call(
                "compact",
                partial(edge_compaction.copy_live_points, self._shard, self._path, create),
            )
            # The old shard stays open for searches in flight; it closes when they end.
            self._shard = self._call(
                "compact",
                partial(
                    edge_compaction.swap_in, self._path, lambda p: qe.EdgeShard.load(str(p), config)
                ),
            )
        logger.info("edge store compacted path=%s points=%s", self._path, kept)
        return kept

    def snapshot(self, target: Path) -> int:
        """Copy every live point into a new shard at ``target``; the count (``snapshots``).

        Updates wait for the copy, so it is one point in time; searches go on.
        """
        with self._updates:
            self._call("flush", self._shard.flush)
            shard = qe.EdgeShard.create(str(target), self._config(self._dimension, 1))
            try:
                copied = self._call(
                    "snapshot", partial(edge_compaction.copy_points, self._shard, shard)
                )
                shard.flush()
            finally:
                shard.close()
        logger.info("edge store snapshot path=%s points=%s", target, copied)
        return copied

    def flush(self) -> None:
        """Persist pending changes (the WAL already makes updates durable)."""
        self._call("flush", self._shard.flush)

    def close(self) -> None:
        """Flush and release the shard directory lock (after a compaction under way)."""
        with self._updates, self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._shard.flush()
        finally:
            self._shard.close()
        logger.info("edge store closed path=%s", self._path)

    def drop(self) -> None:
        """Close the shard and delete its directory."""
        self.close()
        shutil.rmtree(self._path, ignore_errors=True)
        logger.info("edge store dropped path=%s", self._path)

    def _call(self, what: str, operation: Callable[[], T], *, update: bool = False) -> T:
        if self._closed:
            raise IndexUnavailableError("The vector index is closed.")
        try:
            if update:
                with self._updates:
                    return operation()
            return operation()
        except Exception as exc:  # qdrant_edge raises plain Exception
            logger.warning("edge store %s failed: %s", what, exc)
            raise IndexUnavailableError(f"The vector index failed during {what}: {exc}") from exc


def _acl(scope: SearchScope, *also: Any) -> qe.Filter:
    must: list[Any] = [qe.FieldCondition("group_ids", match=qe.MatchAny(list(scope.group_ids)))]
    must.extend(also)
    if scope.collection_ids is not None:
        ids = list(scope.collection_ids)
        must.append(qe.FieldCondition("collection_id", match=qe.MatchAny(ids)))
    return qe.Filter(must=must)


def _vector(arm: Arm) -> Any:
    if isinstance(arm.vector, SparseVector):
        return _sparse(arm.vector)
    return list(arm.vector)


def _match(field: str, value: int) -> qe.FieldCondition:
    return qe.FieldCondition(field, match=qe.MatchValue(int(value)))


def _sparse(vector: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(list(vector.indices), list(vector.values))
