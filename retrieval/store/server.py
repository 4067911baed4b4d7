"""Vector store on a Qdrant server (or qdrant-client local mode) through qdrant-client."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import qdrant_edge as qe
from qdrant_client import QdrantClient, models

from retrieval.errors import IndexConfigurationError, IndexUnavailableError
from retrieval.fusion import ArmHit
from retrieval.models import SparseVector
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
from retrieval.store.snapshots import write_shard

__all__ = ["ServerStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
SNAPSHOT_PAGE = 512


class ServerStore(PlannedSearch, DocumentScroll, GroupsByFilter):
    """VectorStore on one Qdrant collection; ``url`` for a server, ``path`` for local mode."""

    def __init__(
        self,
        *,
        dimension: int,
        collection: str,
        url: str | None = None,
        api_key: str | None = None,
        path: Path | None = None,
        timeout: float = 10.0,
        embedding: str | None = None,
    ) -> None:
        """Connect and create the collection if missing; ``embedding`` is stamped on and checked."""
        if (url is None) == (path is None):
            raise ValueError("ServerStore needs exactly one of url or path")
        self._collection = collection
        self._where = url or str(path)
        self._local = path is not None
        try:
            if url is not None:
                self._client = QdrantClient(url=url, api_key=api_key, timeout=int(timeout))
            else:
                self._client = QdrantClient(path=str(path))
        except Exception as exc:
            raise IndexUnavailableError(
                f"The vector index at {self._where} could not be opened: {exc}"
            ) from exc
        self._embedding = embedding
        self._dimension = dimension
        self._call("create collection", lambda: self._ensure_collection(dimension))
        if embedding is not None:
            other = self._call("scroll", lambda: self._other_embedding(embedding))
            try:
                check_embedding(f"{self._where} ({collection})", embedding, other)
            except IndexConfigurationError:
                self.close()
                raise

    def _other_embedding(self, embedding: str) -> dict[str, Any] | None:
        """The payload of one point embedded otherwise than ``embedding``, if any."""
        other = models.Filter(must_not=[_match_keyword(EMBEDDING_FIELD, embedding)])
        records, _ = self._client.scroll(
            self._collection, scroll_filter=other, limit=1, with_payload=True, with_vectors=False
        )
        return dict(records[0].payload or {}) if records else None

    def _ensure_collection(self, dimension: int) -> None:
        if self._client.collection_exists(self._collection):
            self._check_dimension(dimension)
        else:
            self._client.create_collection(
                self._collection,
                vectors_config={
                    DENSE_VECTOR: models.VectorParams(
                        size=dimension, distance=models.Distance.COSINE
                    )
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
            )
            logger.info("qdrant collection created name=%s at=%s", self._collection, self._where)
        if self._local:
            return  # local mode ignores payload indexes (and warns about them)
        for field in INDEXED_FIELDS:
            self._client.create_payload_index(
                self._collection,
                field,
                models.IntegerIndexParams(
                    type=models.IntegerIndexType.INTEGER, lookup=True, range=False
                ),
                wait=True,
            )
        self._client.create_payload_index(
            self._collection, EMBEDDING_FIELD, models.PayloadSchemaType.KEYWORD, wait=True
        )

    def _check_dimension(self, dimension: int) -> None:
        vectors = self._client.get_collection(self._collection).config.params.vectors
        params = vectors.get(DENSE_VECTOR) if isinstance(vectors, dict) else None
        if params is None or params.size != dimension:
            found = params.size if params is not None else "none"
            raise IndexConfigurationError(
                f"Collection {self._collection} has dense vectors of size {found}, "
                f"expected {dimension}."
            )

    def upsert(self, points: Sequence[IndexedChunk]) -> None:
        """Insert or overwrite points."""
        if not points:
            return
        structs = [
            models.PointStruct(
                id=p.point_id,
                vector={DENSE_VECTOR: list(p.dense), SPARSE_VECTOR: _sparse(p.sparse)},
                payload=payload_for(p, embedding=self._embedding),
            )
            for p in points
        ]
        self._call("upsert", lambda: self._client.upsert(self._collection, structs, wait=True))

    def delete_document(self, document_id: int, *, keep_point_ids: Collection[str] = ()) -> None:
        """Remove the document's points except ``keep_point_ids``."""
        must_not: list[Any] | None = None
        if keep_point_ids:
            must_not = [models.HasIdCondition(has_id=list(keep_point_ids))]
        selector = models.Filter(must=[_match("document_id", document_id)], must_not=must_not)
        self._call(
            "delete",
            lambda: self._client.delete(
                self._collection, points_selector=models.FilterSelector(filter=selector), wait=True
            ),
        )

    def _set_groups(self, field: str, value: int, group_ids: Sequence[int]) -> None:
        self._call(
            "set groups",
            lambda: self._client.set_payload(
                self._collection,
                payload={"group_ids": [int(g) for g in group_ids]},
                points=models.Filter(must=[_match(field, value)]),
                wait=True,
            ),
        )

    def _run_arms(self, arms: Sequence[Arm], scope: SearchScope) -> list[list[ArmHit]]:
        """Each arm as one query (ids and scores only), all in one batch request."""
        acl = _acl(scope)
        requests = [
            models.QueryRequest(
                query=_vector(arm),
                using=arm.using,
                filter=acl,
                limit=arm.limit,
                with_payload=False,
                with_vector=[arm.using] if arm.with_terms else False,
            )
            for arm in arms
        ]
        responses = self._call(
            "search",
            lambda: self._client.query_batch_points(self._collection, requests=requests),
        )
        return [
            [arm.hit(hit.id, hit.score, hit.vector) for hit in r.points]
            for arm, r in zip(arms, responses, strict=True)
        ]

    def _payloads(self, point_ids: Sequence[str], scope: SearchScope) -> dict[str, Any]:
        """The chosen chunks' payloads, read under the scope filter again."""
        chosen = _acl(scope, models.HasIdCondition(has_id=list(point_ids)))
        records, _ = self._call(
            "search",
            lambda: self._client.scroll(
                self._collection,
                scroll_filter=chosen,
                limit=len(point_ids),
                with_payload=True,
                with_vectors=False,
            ),
        )
        return {str(record.id): record.payload or {} for record in records}

    def count(self, *, document_id: int | None = None) -> int:
        """Count points, optionally of one document."""
        selector = None
        if document_id is not None:
            selector = models.Filter(must=[_match("document_id", document_id)])
        result = self._call(
            "count", lambda: self._client.count(self._collection, count_filter=selector, exact=True)
        )
        return result.count

    def _scroll(self, document_id: int, limit: int, *, with_data: bool) -> Iterator[list[Any]]:
        """One document's records, a page at a time (payload and vectors when ``with_data``)."""
        selector = models.Filter(must=[_match("document_id", document_id)])
        return self._pages("scroll", selector, limit=limit, with_data=with_data)

    def _pages(
        self, what: str, selector: models.Filter | None, *, limit: int, with_data: bool
    ) -> Iterator[list[Any]]:
        """The records under ``selector`` (None: every one), a non-empty page at a time."""
        offset: Any = None
        while True:
            records, offset = self._call(
                what,
                partial(
                    self._client.scroll,
                    self._collection,
                    scroll_filter=selector,
                    limit=limit,
                    offset=offset,
                    with_payload=with_data,
                    with_vectors=with_data,
                ),
            )
            if records:
                yield records
            if offset is None:
                return

    def snapshot(self, target: Path) -> int:
        """Copy every point into a new Edge shard at ``target``; the count (``snapshots``)."""
        pages = (
            [qe.Point(str(r.id), _edge_vectors(r.vector), r.payload) for r in records]
            for records in self._pages("snapshot", None, limit=SNAPSHOT_PAGE, with_data=True)
        )
        copied = write_shard(target, self._dimension, pages)
        logger.info("qdrant snapshot collection=%s points=%s", self._collection, copied)
        return copied

    def restore_points(self, pages: Iterable[list[Any]]) -> Iterator[list[Any]]:
        """Upsert the Edge records of a snapshot (``snapshots.read_shard``), passing them on."""
        for records in pages:
            structs = [
                models.PointStruct(
                    id=str(r.id), vector=_server_vectors(r.vector), payload=r.payload or {}
                )
                for r in records
            ]
            self._call(
                "restore", partial(self._client.upsert, self._collection, structs, wait=True)
            )
            yield records

    def close(self) -> None:
        """Close the client (releases the local-mode directory lock)."""
        self._client.close()

    def point_alias(self, alias: str) -> None:
        """Point the collection alias ``alias`` at this collection, in one atomic change.

        Tools outside Enclave (snapshots, dashboards) follow the active index through it.
        """

        def change() -> None:
            existing = {a.alias_name for a in self._client.get_aliases().aliases}
            operations: list[models.AliasOperations] = []
            if alias in existing:
                operations.append(
                    models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
                )
            operations.append(
                models.CreateAliasOperation(
                    create_alias=models.CreateAlias(
                        collection_name=self._collection, alias_name=alias
                    )
                )
            )
            self._client.update_collection_aliases(change_aliases_operations=operations)

        self._call("alias", change)
        logger.info("qdrant alias %s -> %s", alias, self._collection)

    def drop(self) -> None:
        """Delete the collection (every point), then close the client."""
        self._call("drop collection", lambda: self._client.delete_collection(self._collection))
        self._client.close()
        logger.info("qdrant collection dropped name=%s at=%s", self._collection, self._where)

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except IndexConfigurationError:
            raise
        except Exception as exc:  # connection, timeout, HTTP status and local-mode errors
            logger.warning("qdrant %s failed at=%s: %s", what, self._where, type(exc).__name__)
            raise IndexUnavailableError(f"The vector index failed during {what}: {exc}") from exc


def _acl(scope: SearchScope, *also: models.Condition) -> models.Filter:
    must: list[models.Condition] = [
        models.FieldCondition(key="group_ids", match=models.MatchAny(any=list(scope.group_ids)))
    ]
    must.extend(also)
    if scope.collection_ids is not None:
        ids = list(scope.collection_ids)
        must.append(models.FieldCondition(key="collection_id", match=models.MatchAny(any=ids)))
    return models.Filter(must=must)


def _vector(arm: Arm) -> Any:
    if isinstance(arm.vector, SparseVector):
        return _sparse(arm.vector)
    return list(arm.vector)


def _match(field: str, value: int) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchValue(value=int(value)))


def _match_keyword(field: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchValue(value=value))


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))


def _edge_vectors(vectors: Any) -> dict[str, Any]:
    """A server record's named vectors in Edge's types (snapshots are Edge shards)."""
    out: dict[str, Any] = {}
    for name, value in (vectors or {}).items():
        if isinstance(value, models.SparseVector):
            out[name] = qe.SparseVector(list(value.indices), list(value.values))
        else:
            out[name] = list(value)
    return out


def _server_vectors(vectors: Any) -> dict[str, Any]:
    """An Edge record's named vectors in qdrant-client's types."""
    out: dict[str, Any] = {}
    for name, value in (vectors or {}).items():
        if isinstance(value, qe.SparseVector):
            out[name] = models.SparseVector(indices=list(value.indices), values=list(value.values))
        else:
            out[name] = list(value)
    return out
