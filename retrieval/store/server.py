"""Vector store on a Qdrant server (or qdrant-client local mode) through qdrant-client."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from qdrant_client import QdrantClient, models

from retrieval.config import SearchConfig
from retrieval.errors import IndexConfigurationError, IndexUnavailableError
from retrieval.models import Passage, SparseVector
from retrieval.store.base import (
    DENSE_VECTOR,
    EMBEDDING_FIELD,
    INDEXED_FIELDS,
    SPARSE_VECTOR,
    DocumentScroll,
    IndexedChunk,
    arm_ranks,
    check_embedding,
    passage_from_payload,
    payload_for,
)

__all__ = ["ServerStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ServerStore(DocumentScroll):
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

    def set_document_groups(self, document_id: int, group_ids: Sequence[int]) -> None:
        """Replace the groups allowed to read one document."""
        self._set_groups(_match("document_id", document_id), group_ids)

    def set_collection_groups(self, collection_id: int, group_ids: Sequence[int]) -> None:
        """Replace the groups allowed to read every document of a collection."""
        self._set_groups(_match("collection_id", collection_id), group_ids)

    def _set_groups(self, condition: models.FieldCondition, group_ids: Sequence[int]) -> None:
        self._call(
            "set groups",
            lambda: self._client.set_payload(
                self._collection,
                payload={"group_ids": [int(g) for g in group_ids]},
                points=models.Filter(must=[condition]),
                wait=True,
            ),
        )

    def search(
        self,
        *,
        dense: list[float],
        sparse: SparseVector,
        allowed_group_ids: Sequence[int],
        collection_ids: Sequence[int] | None,
        limit: int,
        config: SearchConfig,
    ) -> list[Passage]:
        """Search under the group filter; hybrid = weighted RRF of both arms, in one batch."""
        if not allowed_group_ids or (collection_ids is not None and not collection_ids):
            return []
        acl = _acl(allowed_group_ids, collection_ids)
        has_terms = bool(sparse.indices)  # a query of stopwords only has no BM25 terms
        arms: list[tuple[Any, str, float]] = [(list(dense), DENSE_VECTOR, config.dense_weight)]
        if has_terms:
            arms.append((_sparse(sparse), SPARSE_VECTOR, config.sparse_weight))
        if config.mode != "hybrid":
            if config.mode == "sparse" and not has_terms:
                return []
            query, using, _ = arms[0] if config.mode == "dense" else arms[1]
            request = models.QueryRequest(
                query=query, using=using, filter=acl, limit=limit, with_payload=True
            )
            (response,) = self._batch([request])
            key = "dense_rank" if config.mode == "dense" else "sparse_rank"
            ranks = arm_ranks([hit.id for hit in response.points])
            return [
                passage_from_payload(hit.payload or {}, hit.score, **{key: ranks[str(hit.id)]})
                for hit in response.points
            ]
        fused = models.QueryRequest(
            prefetch=[
                models.Prefetch(query=query, using=using, limit=config.candidates, filter=acl)
                for query, using, _ in arms
            ],
            query=models.RrfQuery(rrf=models.Rrf(k=config.rrf_k, weights=[w for *_, w in arms])),
            filter=acl,
            limit=limit,
            with_payload=True,
        )
        # The arms again, ids only, so each passage can say why it was chosen.
        explain = [
            models.QueryRequest(
                query=query, using=using, filter=acl, limit=config.candidates, with_payload=False
            )
            for query, using, _ in arms
        ]
        responses = self._batch([fused, *explain])
        dense_ranks = arm_ranks([hit.id for hit in responses[1].points])
        sparse_ranks = arm_ranks([hit.id for hit in responses[2].points]) if has_terms else {}
        return [
            passage_from_payload(
                hit.payload or {},
                hit.score,
                dense_rank=dense_ranks.get(str(hit.id)),
                sparse_rank=sparse_ranks.get(str(hit.id)),
            )
            for hit in responses[0].points
        ]

    def _batch(self, requests: list[models.QueryRequest]) -> list[models.QueryResponse]:
        return self._call(
            "search",
            lambda: self._client.query_batch_points(self._collection, requests=requests),
        )

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
        offset: Any = None
        while True:
            records, offset = self._call(
                "scroll",
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


def _acl(allowed_group_ids: Sequence[int], collection_ids: Sequence[int] | None) -> models.Filter:
    must: list[models.Condition] = [
        models.FieldCondition(
            key="group_ids", match=models.MatchAny(any=[int(g) for g in allowed_group_ids])
        )
    ]
    if collection_ids is not None:
        ids = [int(c) for c in collection_ids]
        must.append(models.FieldCondition(key="collection_id", match=models.MatchAny(any=ids)))
    return models.Filter(must=must)


def _match(field: str, value: int) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchValue(value=int(value)))


def _match_keyword(field: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchValue(value=value))


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))
