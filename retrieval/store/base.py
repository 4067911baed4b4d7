"""The vector-store contract shared by the Qdrant Edge and Qdrant server adapters."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from retrieval.config import SearchConfig
from retrieval.errors import IndexConfigurationError
from retrieval.models import Chunk, DocumentMeta, Passage, SparseVector

__all__ = [
    "DENSE_VECTOR",
    "SPARSE_VECTOR",
    "IndexedChunk",
    "VectorStore",
    "chunk_point_id",
    "arm_ranks",
    "indexed_chunk_from_record",
    "named_vectors",
    "check_embedding",
    "passage_from_payload",
    "payload_for",
]

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
# Payload fields that get an integer lookup index (filters run on them).
INDEXED_FIELDS = ("document_id", "collection_id", "group_ids")
# Fixed namespace so the same chunk always gets the same point id.
POINT_NAMESPACE = uuid.UUID("6f7c1c52-6a35-4c55-9a43-2f2b0e8b9a11")
# Payload field naming the embedding that made a point's dense vector
# (``<model name>/<backend>``, see retrieval.embedding.embedding_identity).
EMBEDDING_FIELD = "embedding"
# Page size when scrolling point ids.
SCROLL_PAGE = 1024


def chunk_point_id(document_id: int, chunk_index: int, text: str) -> str:
    """Deterministic point id, so re-indexing unchanged chunks overwrites instead of duplicating."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return str(uuid.uuid5(POINT_NAMESPACE, f"{document_id}:{chunk_index}:{digest}"))


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk ready for the store: its id, document metadata and both vectors."""

    point_id: str
    chunk: Chunk
    meta: DocumentMeta
    dense: list[float]
    sparse: SparseVector
    # ISO 639-1 code the chunk was BM25-stemmed in; None when undetected.
    language: str | None = None


def payload_for(point: IndexedChunk, *, embedding: str | None = None) -> dict[str, Any]:
    """Build the Qdrant payload stored with a chunk (and the embedding that made its vector)."""
    payload = {
        "document_id": point.meta.document_id,
        "collection_id": point.meta.collection_id,
        "group_ids": list(point.meta.group_ids),
        "title": point.meta.title,
        "sha256": point.meta.sha256,
        "chunk_index": point.chunk.index,
        "page": point.chunk.page,
        "heading": point.chunk.heading,
        "text": point.chunk.text,
        "language": point.language,
    }
    if embedding is not None:
        payload[EMBEDDING_FIELD] = embedding
    return payload


def check_embedding(where: str, expected: str | None, other: Mapping[str, Any] | None) -> None:
    """Refuse an index holding a point (``other``) embedded otherwise than ``expected``.

    Vectors of two models, or of one model run by two backends (torch fp32 and
    ONNX int8), are not comparable enough to search one with the other. A point
    without the field was written before identities were recorded, when torch
    was the only backend: it passes for a torch embedding.
    """
    if expected is None or other is None:
        return
    found = other.get(EMBEDDING_FIELD)
    if found == expected or (found is None and expected.endswith("/torch")):
        return
    raise IndexConfigurationError(
        f"The vector index at {where} holds vectors made by "
        f"{found or 'a torch embedding recorded before backends were'}, but this process "
        f"embeds with {expected}. Use the same embedding model and backend as the index, "
        "or rebuild the index."
    )


def named_vectors(vector: Any) -> Mapping[str, Any]:
    """A stored point's vectors by name; anything but our named pair means a foreign index."""
    if not isinstance(vector, Mapping) or not {DENSE_VECTOR, SPARSE_VECTOR} <= set(vector):
        raise IndexConfigurationError("Stored points lack the named dense and sparse vectors.")
    return vector


def indexed_chunk_from_record(
    point_id: Any, payload: Mapping[str, Any], vectors: Mapping[str, Any]
) -> IndexedChunk:
    """Rebuild a stored point (payload and both named vectors) as an IndexedChunk.

    ``vectors[SPARSE_VECTOR]`` may be any object with ``indices`` and ``values``
    (each engine has its own sparse vector type).
    """
    page = payload.get("page")
    sparse = vectors[SPARSE_VECTOR]
    return IndexedChunk(
        point_id=str(point_id),
        chunk=Chunk(
            index=int(payload["chunk_index"]),
            text=str(payload.get("text", "")),
            page=int(page) if page is not None else None,
            heading=str(payload.get("heading", "")),
        ),
        meta=DocumentMeta(
            document_id=int(payload["document_id"]),
            collection_id=int(payload["collection_id"]),
            group_ids=tuple(int(g) for g in payload.get("group_ids", ())),
            title=str(payload.get("title", "")),
            sha256=str(payload.get("sha256", "")),
        ),
        dense=[float(x) for x in vectors[DENSE_VECTOR]],
        sparse=SparseVector(
            indices=tuple(int(i) for i in sparse.indices),
            values=tuple(float(v) for v in sparse.values),
        ),
        language=str(payload["language"]) if payload.get("language") else None,
    )


def arm_ranks(point_ids: Sequence[Any]) -> dict[str, int]:
    """1-based rank of each point id in one arm's result list."""
    return {str(point_id): rank for rank, point_id in enumerate(point_ids, start=1)}


def passage_from_payload(
    payload: Mapping[str, Any],
    score: float,
    *,
    dense_rank: int | None = None,
    sparse_rank: int | None = None,
) -> Passage:
    """Rebuild a Passage from a stored payload, its fused score and its rank in each arm."""
    page = payload.get("page")
    language = payload.get("language")
    return Passage(
        document_id=int(payload["document_id"]),
        collection_id=int(payload["collection_id"]),
        chunk_index=int(payload["chunk_index"]),
        text=str(payload.get("text", "")),
        title=str(payload.get("title", "")),
        page=int(page) if page is not None else None,
        heading=str(payload.get("heading", "")),
        score=float(score),
        dense_rank=dense_rank,
        sparse_rank=sparse_rank,
        language=str(language) if language else None,
    )


class DocumentScroll:
    """Reading one document's points back, on top of an adapter's ``_scroll``."""

    def _scroll(self, document_id: int, limit: int, *, with_data: bool) -> Iterator[list[Any]]:
        """The document's records a page at a time (payload and vectors when ``with_data``)."""
        raise NotImplementedError

    def point_ids(self, *, document_id: int) -> set[str]:
        """Return the ids of one document's points."""
        pages = self._scroll(document_id, SCROLL_PAGE, with_data=False)
        return {str(record.id) for page in pages for record in page}

    def document_points(
        self, document_id: int, *, batch_size: int = SCROLL_PAGE
    ) -> Iterator[list[IndexedChunk]]:
        """Yield one document's points with vectors and payload, ``batch_size`` at a time."""
        for page in self._scroll(document_id, batch_size, with_data=True):
            yield [
                indexed_chunk_from_record(r.id, r.payload or {}, named_vectors(r.vector))
                for r in page
            ]


@runtime_checkable
class VectorStore(Protocol):
    """Chunk storage with hybrid, permission-filtered search.

    Contract (checked by tests/integration/retrieval/test_store_contract.py):
    - upsert overwrites points with the same id, so re-indexing converges;
    - delete_document removes every point of the document except keep_point_ids,
      so re-indexing a shorter document deletes its extra chunks;
    - search always filters by group ids inside the engine (every arm and the
      fusion) and returns [] for an empty allowed_group_ids without querying;
    - set_document_groups / set_collection_groups change payload only (no re-embedding);
    - drop removes the whole collection: opening the same config again starts empty.
    - document_points yields every point of the document with both vectors and
      its payload, as upserted, so they can be copied under another document.
    """

    def upsert(self, points: Sequence[IndexedChunk]) -> None:
        """Insert or overwrite points."""
        ...

    def delete_document(self, document_id: int, *, keep_point_ids: Collection[str] = ()) -> None:
        """Remove the document's points except ``keep_point_ids``."""
        ...

    def set_document_groups(self, document_id: int, group_ids: Sequence[int]) -> None:
        """Replace the groups allowed to read one document."""
        ...

    def set_collection_groups(self, collection_id: int, group_ids: Sequence[int]) -> None:
        """Replace the groups allowed to read every document of a collection."""
        ...

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
        """Search under the group filter, fused with weighted RRF in one engine round trip.

        ``config.mode`` picks hybrid (prefetch both arms, weighted RRF) or one arm;
        every returned passage carries its 1-based rank in each arm that ran
        (None when it was not among that arm's ``config.candidates``).
        """
        ...

    def count(self, *, document_id: int | None = None) -> int:
        """Count points, optionally of one document."""
        ...

    def point_ids(self, *, document_id: int) -> set[str]:
        """Return the ids of one document's points."""
        ...

    def document_points(
        self, document_id: int, *, batch_size: int = SCROLL_PAGE
    ) -> Iterator[list[IndexedChunk]]:
        """Yield one document's points with vectors and payload, ``batch_size`` at a time.

        Pages come in no particular order; an unknown document yields nothing.
        """
        ...

    def close(self) -> None:
        """Release the store (files, locks, connections)."""
        ...

    def drop(self) -> None:
        """Close the store and delete its collection and every point in it (index rebuilds)."""
        ...
