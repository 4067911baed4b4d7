"""The vector-store contract shared by the Qdrant Edge and Qdrant server adapters."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from retrieval.config import SearchConfig
from retrieval.errors import IndexConfigurationError
from retrieval.fusion import ArmHit, FusedHit, fuse, ranked
from retrieval.models import Chunk, DocumentMeta, Passage, SparseVector

__all__ = [
    "DENSE_VECTOR",
    "SPARSE_VECTOR",
    "AliasableStore",
    "Arm",
    "DocumentScroll",
    "GroupsByFilter",
    "IndexedChunk",
    "OptimizableStore",
    "PlannedSearch",
    "SearchPlan",
    "SearchScope",
    "VectorStore",
    "assemble",
    "chunk_point_id",
    "indexed_chunk_from_record",
    "named_vectors",
    "check_embedding",
    "passage_from_payload",
    "payload_for",
    "plan_search",
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


def passage_from_payload(payload: Mapping[str, Any], hit: FusedHit) -> Passage:
    """Rebuild a Passage from a stored payload and what the search found about its chunk."""
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
        score=float(hit.score),
        dense_rank=hit.dense_rank,
        sparse_rank=hit.sparse_rank,
        dense_score=hit.dense_score,
        sparse_score=hit.sparse_score,
        language=str(language) if language else None,
    )


# --- query planning and result assembly, shared by every adapter -------------


@dataclass(frozen=True)
class Arm:
    """One engine query of a search: nearest chunks by one named vector.

    ``with_terms``: the hits come with their stored BM25 vector, so each carries the
    share of the query's terms it holds (``fusion="coverage"`` reads it).
    """

    name: Literal["dense", "sparse"]
    vector: list[float] | SparseVector
    limit: int
    with_terms: bool = False

    @property
    def using(self) -> str:
        """The stored vector this arm searches."""
        return DENSE_VECTOR if self.name == "dense" else SPARSE_VECTOR

    def hit(self, point_id: Any, score: float, vectors: Any = None) -> ArmHit:
        """The engine's hit as an ArmHit; with ``with_terms``, its share of the query's terms."""
        if not self.with_terms or not isinstance(self.vector, SparseVector):
            return ArmHit(str(point_id), float(score))
        stored = vectors.get(SPARSE_VECTOR) if isinstance(vectors, Mapping) else None
        terms = set(self.vector.indices)
        if stored is None or not terms:
            return ArmHit(str(point_id), float(score))
        held = terms.intersection(int(i) for i in stored.indices)
        return ArmHit(str(point_id), float(score), coverage=len(held) / len(terms))


@dataclass(frozen=True)
class SearchScope:
    """Who may read (groups) and where to look (collections; None = all): the engine filter."""

    group_ids: tuple[int, ...]
    collection_ids: tuple[int, ...] | None


@dataclass(frozen=True)
class SearchPlan:
    """What an adapter runs: every arm under the scope filter, in one batch."""

    arms: tuple[Arm, ...]
    scope: SearchScope
    limit: int
    config: SearchConfig


def plan_search(
    *,
    dense: list[float],
    sparse: SparseVector,
    allowed_group_ids: Sequence[int],
    collection_ids: Sequence[int] | None,
    limit: int,
    config: SearchConfig,
) -> SearchPlan | None:
    """The arms to run, or None when nothing can match (no group, no collection, no terms)."""
    if not allowed_group_ids or (collection_ids is not None and not collection_ids):
        return None
    has_terms = bool(sparse.indices)  # a query of stopwords only has no BM25 terms
    if config.mode == "sparse" and not has_terms:
        return None
    # One arm hands over exactly what the caller wants; fusion takes `candidates` of each.
    depth = limit if config.mode != "hybrid" else config.candidates
    arms = []
    if config.mode != "sparse":
        arms.append(Arm("dense", list(dense), depth))
    if config.mode != "dense" and has_terms:
        coverage = config.mode == "hybrid" and config.fusion == "coverage"
        arms.append(Arm("sparse", sparse, depth, with_terms=coverage))
    scope = SearchScope(
        tuple(int(g) for g in allowed_group_ids),
        None if collection_ids is None else tuple(int(c) for c in collection_ids),
    )
    return SearchPlan(tuple(arms), scope, limit, config)


def assemble(plan: SearchPlan, results: Sequence[Sequence[ArmHit]]) -> list[FusedHit]:
    """The plan's best ``limit`` chunks from its arms' results (one list per arm, same order)."""
    by_arm = {arm.name: list(hits) for arm, hits in zip(plan.arms, results, strict=True)}
    config = plan.config
    if config.mode == "hybrid":
        fused = fuse(
            by_arm.get("dense", []),
            by_arm.get("sparse", []),
            method=config.fusion,
            dense_weight=config.dense_weight,
            sparse_weight=config.sparse_weight,
            rrf_k=config.rrf_k,
        )
        return fused[: plan.limit]
    (name,) = by_arm  # one arm: its own scores, its own order
    hits = ranked(by_arm[name])[: plan.limit]
    if name == "dense":
        return [FusedHit(h.point_id, h.score, r, None, h.score) for r, h in enumerate(hits, 1)]
    return [FusedHit(h.point_id, h.score, None, r, None, h.score) for r, h in enumerate(hits, 1)]


class PlannedSearch:
    """``search`` for every adapter: plan, run the arms in one batch, fuse, fetch payloads.

    An adapter only translates: ``_run_arms`` turns the arms into its engine's
    requests (ids and scores, no payload) and ``_payloads`` reads the chosen
    chunks' payloads, both under the scope filter inside the engine.
    """

    def _run_arms(self, arms: Sequence[Arm], scope: SearchScope) -> list[list[ArmHit]]:
        """Each arm's hits under the scope filter, in one engine round trip."""
        raise NotImplementedError

    def _payloads(self, point_ids: Sequence[str], scope: SearchScope) -> dict[str, Any]:
        """Payloads of ``point_ids`` still inside the scope, by point id."""
        raise NotImplementedError

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
        """Search under the group filter; hybrid fuses both arms (see retrieval.fusion)."""
        plan = plan_search(
            dense=dense,
            sparse=sparse,
            allowed_group_ids=allowed_group_ids,
            collection_ids=collection_ids,
            limit=limit,
            config=config,
        )
        if plan is None or limit <= 0:
            return []
        chosen = assemble(plan, self._run_arms(plan.arms, plan.scope))
        if not chosen:
            return []
        payloads = self._payloads([hit.point_id for hit in chosen], plan.scope)
        # A chunk deleted (or moved out of the scope) between the two calls is left out.
        return [
            passage_from_payload(payloads[h.point_id], h) for h in chosen if h.point_id in payloads
        ]


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


class GroupsByFilter:
    """The two group changes of ``VectorStore`` on top of an adapter's ``_set_groups``."""

    def _set_groups(self, field: str, value: int, group_ids: Sequence[int]) -> None:
        """Set ``group_ids`` in the payload of every point whose ``field`` is ``value``."""
        raise NotImplementedError

    def set_document_groups(self, document_id: int, group_ids: Sequence[int]) -> None:
        """Replace the groups allowed to read one document."""
        self._set_groups("document_id", document_id, group_ids)

    def set_collection_groups(self, collection_id: int, group_ids: Sequence[int]) -> None:
        """Replace the groups allowed to read every document of a collection."""
        self._set_groups("collection_id", collection_id, group_ids)


@runtime_checkable
class VectorStore(Protocol):
    """Chunk storage with hybrid, permission-filtered search.

    Contract (checked by tests/integration/retrieval/test_retrieval_store_contract.py):
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
        """Search under the group filter: the arms in one engine round trip, then payloads.

        ``config.mode`` picks hybrid (both arms, fused by ``config.fusion``) or one
        arm; every returned passage carries its 1-based rank and raw score in each
        arm that found it (None when it was not among that arm's candidates). The
        order is deterministic: equal scores are broken by arm ranks, then point id.
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


@runtime_checkable
class OptimizableStore(Protocol):
    """A store whose search index is built by an explicit, blocking call (Qdrant Edge)."""

    def optimize(self) -> bool:
        """Build the search index and merge segments; may take minutes (Edge holds the GIL)."""
        ...


@runtime_checkable
class AliasableStore(Protocol):
    """A store that can point a named alias at its collection (Qdrant server)."""

    def point_alias(self, alias: str) -> None:
        """Point ``alias`` at this store's collection, atomically."""
        ...
