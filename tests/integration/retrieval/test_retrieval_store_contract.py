"""One contract, every store: Qdrant Edge in-process and qdrant-client local mode."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from retrieval import (
    Chunk,
    DocumentMeta,
    Embedder,
    IndexConfigurationError,
    IndexedChunk,
    IndexUnavailableError,
    SearchConfig,
    SparseEncoder,
    StoreConfig,
    VectorStore,
    chunk_point_id,
    open_store,
)

# qdrant-client warns from its version probe against the unreachable test server.
pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version")

HR, FINANCE, ENGINEERING = 10, 20, 30
LEAVE = "Every full-time employee is entitled to twenty-seven days of paid annual leave."
BONUS = "The yearly bonus pool is decided by the finance committee in March."
BADGE = "Lost security badges must be reported to the facilities desk within a day."


class Points:
    """Builds IndexedChunks with real dense and BM25 vectors."""

    def __init__(self, embedder: Embedder, sparse: SparseEncoder) -> None:
        self.embedder = embedder
        self.sparse = sparse

    def make(
        self,
        texts: Sequence[str],
        *,
        document_id: int,
        collection_id: int = 1,
        groups: tuple[int, ...] = (HR,),
        page: int | None = 1,
    ) -> list[IndexedChunk]:
        meta = DocumentMeta(document_id, collection_id, groups, f"Doc {document_id}", "0" * 64)
        vectors = self.embedder.embed_documents(list(texts))
        return [
            IndexedChunk(
                point_id=chunk_point_id(document_id, index, text),
                chunk=Chunk(index=index, text=text, page=page, heading="Policies"),
                meta=meta,
                dense=vector,
                sparse=self.sparse.encode_document(text),
            )
            for index, (text, vector) in enumerate(zip(texts, vectors, strict=True))
        ]


@pytest.fixture
def points(embedder: Embedder, sparse_encoder: SparseEncoder) -> Points:
    return Points(embedder, sparse_encoder)


def search(
    store: VectorStore,
    points: Points,
    query: str,
    groups: Sequence[int],
    collections: Sequence[int] | None = None,
    limit: int = 5,
) -> list:
    return store.search(
        dense=points.embedder.embed_query(query),
        sparse=points.sparse.encode_query(query),
        allowed_group_ids=groups,
        collection_ids=collections,
        limit=limit,
        config=SearchConfig(),
    )


def test_upsert_then_search_returns_the_passage_with_its_metadata(
    store: VectorStore, points: Points
) -> None:
    store.upsert(points.make([LEAVE, BONUS], document_id=1, groups=(HR, FINANCE), page=4))

    hits = search(store, points, "how many days of annual leave", [HR])

    assert hits[0].text == LEAVE
    assert (hits[0].document_id, hits[0].collection_id, hits[0].chunk_index) == (1, 1, 0)
    assert (hits[0].page, hits[0].heading, hits[0].title) == (4, "Policies", "Doc 1")
    assert hits[0].score > hits[1].score
    assert store.count() == 2
    assert store.count(document_id=1) == 2


def test_user_without_the_group_never_gets_the_passage(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([BONUS], document_id=1, groups=(FINANCE,)))
    store.upsert(points.make([BADGE], document_id=2, groups=(HR, ENGINEERING)))

    engineer = search(store, points, "yearly bonus pool finance committee", [ENGINEERING])
    nobody = search(store, points, "yearly bonus pool finance committee", [])
    finance = search(store, points, "yearly bonus pool finance committee", [FINANCE])

    assert [h.document_id for h in engineer] == [2]
    assert nobody == []
    assert [h.document_id for h in finance] == [1]


def test_collection_filter(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE], document_id=1, collection_id=7))
    store.upsert(points.make([BADGE], document_id=2, collection_id=8))

    assert [h.document_id for h in search(store, points, "leave", [HR], [8])] == [2]
    assert [h.document_id for h in search(store, points, "leave", [HR], [7, 8])][0] == 1
    assert search(store, points, "leave", [HR], []) == []


def test_delete_document_removes_every_point(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=1))
    store.upsert(points.make([BADGE], document_id=2))

    store.delete_document(1)

    assert store.count(document_id=1) == 0
    assert store.count() == 1
    assert {h.document_id for h in search(store, points, "annual leave days", [HR])} == {2}


def test_reindexing_the_same_document_converges(store: VectorStore, points: Points) -> None:
    first = points.make([LEAVE, BONUS, BADGE], document_id=1)
    store.upsert(first)
    ids = store.point_ids(document_id=1)

    again = points.make([LEAVE, BONUS, BADGE], document_id=1)
    store.upsert(again)
    store.delete_document(1, keep_point_ids={p.point_id for p in again})

    assert store.count(document_id=1) == 3
    assert store.point_ids(document_id=1) == ids == {p.point_id for p in first}


def test_reindexing_a_shorter_document_deletes_its_extra_chunks(
    store: VectorStore, points: Points
) -> None:
    store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=1))
    store.upsert(points.make([BONUS], document_id=2))

    shorter = points.make([LEAVE], document_id=1)
    store.upsert(shorter)
    store.delete_document(1, keep_point_ids={p.point_id for p in shorter})

    assert store.point_ids(document_id=1) == {shorter[0].point_id}
    assert store.count(document_id=2) == 1
    assert [h.text for h in search(store, points, "lost security badges", [HR])] != []
    assert BADGE not in [h.text for h in search(store, points, "lost security badges", [HR])]


def test_set_collection_groups_changes_who_sees_it(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE], document_id=1, collection_id=5, groups=(HR,)))
    store.upsert(points.make([BADGE], document_id=2, collection_id=6, groups=(HR,)))

    store.set_collection_groups(5, [FINANCE])

    assert [h.document_id for h in search(store, points, "annual leave", [HR])] == [2]
    assert [h.document_id for h in search(store, points, "annual leave", [FINANCE])] == [1]
    assert store.count() == 2


def test_set_document_groups_changes_who_sees_it(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE, BONUS], document_id=1, groups=(HR,)))

    store.set_document_groups(1, [ENGINEERING, FINANCE])

    assert search(store, points, "annual leave", [HR]) == []
    assert len(search(store, points, "annual leave", [ENGINEERING])) == 2


def test_stopword_only_query_falls_back_to_dense(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE], document_id=1))

    assert [h.text for h in search(store, points, "the of and", [HR])] == [LEAVE]


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_reopening_keeps_points_and_refuses_another_dimension(
    kind: str, tmp_path: Path, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    config = StoreConfig(kind=kind, path=tmp_path / kind)  # type: ignore[arg-type]
    first = open_store(config, dimension=embedder.dimension)
    first.upsert(Points(embedder, sparse_encoder).make([LEAVE], document_id=1))
    first.close()

    reopened = open_store(config, dimension=embedder.dimension)
    assert reopened.count() == 1
    reopened.close()
    with pytest.raises(IndexConfigurationError):
        open_store(config, dimension=embedder.dimension + 1)


def test_edge_directory_is_owned_by_one_store(tmp_path: Path, embedder: Embedder) -> None:
    config = StoreConfig(kind="edge", path=tmp_path / "edge")
    owner = open_store(config, dimension=embedder.dimension)
    try:
        with pytest.raises(IndexUnavailableError) as caught:
            open_store(config, dimension=embedder.dimension)
        assert caught.value.code == "index_unavailable"
    finally:
        owner.close()


def test_unreachable_server_is_index_unavailable(embedder: Embedder) -> None:
    config = StoreConfig(kind="server", url="http://127.0.0.1:9", timeout=2)

    with pytest.raises(IndexUnavailableError) as caught:
        open_store(config, dimension=embedder.dimension)

    assert caught.value.transient is True


def test_edge_search_still_works_after_optimize(
    tmp_path: Path, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    from retrieval.store.edge import EdgeStore

    store = EdgeStore(tmp_path / "edge", dimension=embedder.dimension)
    points = Points(embedder, sparse_encoder)
    store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=1))

    store.optimize()

    assert search(store, points, "annual leave days", [HR])[0].text == LEAVE
    store.close()


def test_hybrid_hits_say_which_arm_found_them(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=1))

    hits = search(store, points, "twenty-seven paid annual leave", [HR])

    assert hits[0].text == LEAVE
    assert (hits[0].dense_rank, hits[0].sparse_rank) == (1, 1)
    assert hits[0].reason == "dense #1, BM25 #1"
    # Only the dense arm finds chunks sharing no word with the query.
    assert {h.sparse_rank for h in hits[1:]} == {None}
    assert sorted(h.dense_rank for h in hits) == [1, 2, 3]  # type: ignore[type-var]


@pytest.mark.parametrize(("mode", "field"), [("dense", "dense_rank"), ("sparse", "sparse_rank")])
def test_one_arm_modes(store: VectorStore, points: Points, mode: str, field: str) -> None:
    store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=1))
    query = "yearly bonus pool"

    hits = store.search(
        dense=points.embedder.embed_query(query),
        sparse=points.sparse.encode_query(query),
        allowed_group_ids=[HR],
        collection_ids=None,
        limit=5,
        config=SearchConfig(mode=mode),  # type: ignore[arg-type]
    )

    assert hits[0].text == BONUS
    assert [getattr(h, field) for h in hits] == list(range(1, len(hits) + 1))
    assert len(hits) == (3 if mode == "dense" else 1)  # BM25 finds only the matching chunk
    other = "sparse_rank" if field == "dense_rank" else "dense_rank"
    assert {getattr(h, other) for h in hits} == {None}


def test_chunk_language_is_stored_and_returned(store: VectorStore, points: Points) -> None:
    chunk = points.make(["Todo colaborador tem direito a trinta dias de férias."], document_id=1)
    store.upsert([dataclasses.replace(p, language="pt") for p in chunk])

    assert search(store, points, "férias", [HR])[0].language == "pt"


def test_document_points_returns_what_was_upserted_with_both_vectors(
    store: VectorStore, points: Points
) -> None:
    written = points.make([LEAVE, BONUS, BADGE], document_id=1, groups=(HR, FINANCE), page=4)
    written = [dataclasses.replace(p, language="en") for p in written]
    store.upsert(written)
    store.upsert(points.make([BONUS], document_id=2))

    pages = list(store.document_points(1, batch_size=2))
    read = {p.point_id: p for page in pages for p in page}

    assert [len(page) for page in pages] == [2, 1]
    assert set(read) == {p.point_id for p in written}
    for expected in written:
        got = read[expected.point_id]
        assert (got.chunk, got.meta, got.language) == (expected.chunk, expected.meta, "en")
        assert got.sparse.indices == expected.sparse.indices
        assert got.sparse.values == pytest.approx(expected.sparse.values)
        assert got.dense == pytest.approx(expected.dense, abs=1e-6)
    assert list(store.document_points(99)) == []


def test_points_read_back_can_be_copied_under_another_document(
    store: VectorStore, points: Points
) -> None:
    store.upsert(points.make([LEAVE, BONUS], document_id=1, collection_id=5, groups=(HR,)))
    copies = [
        dataclasses.replace(
            p,
            point_id=chunk_point_id(2, p.chunk.index, p.chunk.text),
            meta=dataclasses.replace(p.meta, document_id=2, collection_id=6, group_ids=(FINANCE,)),
        )
        for page in store.document_points(1)
        for p in page
    ]

    store.upsert(copies)
    store.delete_document(1)

    hits = search(store, points, "how many days of annual leave", [FINANCE], [6])
    assert (hits[0].text, hits[0].document_id, hits[0].collection_id) == (LEAVE, 2, 6)
    assert search(store, points, "annual leave", [HR]) == []
    assert store.count() == store.count(document_id=2) == 2


TIES = [
    "Every full-time employee is entitled to paid annual leave.",
    "Paid annual leave requests go to your manager.",
    "Annual leave: twenty-seven days.",
    "Unused leave expires in March.",
]


def test_the_same_query_twenty_times_returns_the_same_order(
    store: VectorStore, points: Points
) -> None:
    # Near-duplicates make equal fused scores likely (dense #1 vs BM25 #1 under RRF k=2).
    store.upsert(points.make([*TIES, LEAVE, BONUS, BADGE], document_id=1))
    store.upsert(points.make(TIES, document_id=2))

    runs = [
        [(h.document_id, h.chunk_index, h.score) for h in search(store, points, q, [HR], limit=8)]
        for _ in range(20)
        for q in ("paid annual leave", "leave days")
    ]

    assert all(run == runs[0] for run in runs[0::2])
    assert all(run == runs[1] for run in runs[1::2])


def test_every_store_kind_returns_the_same_hybrid_result(
    tmp_path: Path, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    points = Points(embedder, sparse_encoder)
    written = points.make([*TIES, LEAVE, BONUS, BADGE], document_id=1)
    results = {}
    for kind in ("edge", "local"):
        store = open_store(
            StoreConfig(kind=kind, path=tmp_path / kind), dimension=embedder.dimension
        )  # type: ignore[arg-type]
        store.upsert(written)
        results[kind] = [
            [
                (h.document_id, h.chunk_index, h.dense_rank, h.sparse_rank, h.score)
                for h in search(store, points, query, [HR], limit=8)
            ]
            for query in ("paid annual leave", "yearly bonus", "the of and")
        ]
        store.close()

    # The same passages, order and arm ranks; the scores alike to float precision (the
    # engines compute cosines in their own float code, so a score near a rounding
    # boundary may round either way at the 6th decimal).
    ranked = {kind: [[hit[:4] for hit in hits] for hits in runs] for kind, runs in results.items()}
    assert ranked["edge"] == ranked["local"]
    scores = {kind: [hit[4] for hits in runs for hit in hits] for kind, runs in results.items()}
    assert scores["edge"] == pytest.approx(scores["local"], abs=1e-5)
    assert results["edge"][0][0][:2] in {(1, 0), (1, 1), (1, 2), (1, 4)}


def test_hybrid_passages_carry_each_arms_raw_score(store: VectorStore, points: Points) -> None:
    store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=1))

    (hit, *others) = search(store, points, "twenty-seven paid annual leave", [HR])

    assert hit.text == LEAVE
    assert 0.3 < hit.dense_score < 1.0  # cosine similarity  # type: ignore[operator]
    assert hit.sparse_score > 0.0  # BM25  # type: ignore[operator]
    assert all(o.sparse_score is None and o.dense_score is not None for o in others)
