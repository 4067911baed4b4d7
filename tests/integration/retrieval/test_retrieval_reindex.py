"""Re-indexing without downtime on both store adapters: Qdrant Edge and qdrant-client local."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import (
    DocumentMeta,
    Embedder,
    EmbeddingConfig,
    Indexer,
    Progress,
    Searcher,
    StoreConfig,
    index_store_config,
    load_embedder,
    open_store,
)
from tests.support.models import SECOND_MODEL_DIMENSION

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version")

HR = 10
LEAVE = "Every full-time employee is entitled to twenty-seven days of paid annual leave per year."
PARKING = "Bicycle parking is available in the basement of the Lisbon office next to the showers."
CANTEEN = "The canteen on the third floor closes at half past two on Fridays."


def meta(document_id: int) -> DocumentMeta:
    return DocumentMeta(document_id, 1, (HR,), f"Doc {document_id}", "0" * 64)


def found(searcher: Searcher, query: str) -> list[tuple[int, str]]:
    return [(p.document_id, p.text) for p in searcher.search(query, allowed_group_ids=[HR])]


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_a_re_indexed_document_is_searchable_between_every_step(
    tmp_path: Path, embedder: Embedder, kind: str
) -> None:
    store = open_store(StoreConfig(kind=kind, path=tmp_path / kind), dimension=embedder.dimension)
    searcher = Searcher(store=store, embedder=embedder)
    indexer = Indexer(store=store, embedder=embedder, batch_size=1)
    first = tmp_path / "v1.txt"
    first.write_text(f"{LEAVE}\n\n{PARKING}")
    indexer.index_file(first, meta=meta(1))
    second = tmp_path / "v2.txt"
    second.write_text(f"{LEAVE}\n\n{CANTEEN}")
    seen: list[tuple[str, int, int]] = []

    def search_now(progress: Progress) -> None:
        # Both passages of one of the versions are found at every step of the re-index.
        leave = found(searcher, "how many days of paid annual leave")
        seen.append((progress.stage, progress.done, leave[0][0]))
        assert LEAVE in leave[0][1]

    try:
        indexer.index_file(second, meta=meta(1), on_progress=search_now)
        after_parking = found(searcher, "bicycle parking basement Lisbon showers")
        after_canteen = found(searcher, "when does the canteen close on Fridays")
    finally:
        store.close()

    assert [stage for stage, *_ in seen] == [
        "parsing",
        "parsing",
        "chunking",
        "embedding",
        "embedding",
        "indexing",
        "indexing",
    ]
    assert {document_id for *_, document_id in seen} == {1}
    assert all(PARKING not in text for _, text in after_parking)
    assert CANTEEN in after_canteen[0][1]


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_an_index_for_another_model_lives_beside_the_active_one_and_drops_alone(
    tmp_path: Path, embedder: Embedder, second_model_dir: Path, kind: str
) -> None:
    second = load_embedder(EmbeddingConfig(model_dir=second_model_dir, threads=2))
    base = StoreConfig(kind=kind, path=tmp_path / "qdrant")
    new_config = index_store_config(base, "enclave_chunks_new")
    old = open_store(index_store_config(base, base.collection), dimension=embedder.dimension)
    new = open_store(new_config, dimension=second.dimension)
    text = tmp_path / "leave.txt"
    text.write_text(LEAVE)
    Indexer(store=old, embedder=embedder).index_file(text, meta=meta(1))
    Indexer(store=new, embedder=second).index_file(text, meta=meta(1))

    old_hits = found(Searcher(store=old, embedder=embedder), "paid annual leave")
    new_hits = found(Searcher(store=new, embedder=second), "paid annual leave")
    new.drop()
    still_old = found(Searcher(store=old, embedder=embedder), "paid annual leave")
    old.close()
    reopened = open_store(new_config, dimension=second.dimension)
    left = reopened.count()
    reopened.close()

    assert index_store_config(base, base.collection) == base
    assert new_config.collection == "enclave_chunks_new"
    assert (second.dimension, embedder.dimension) == (SECOND_MODEL_DIMENSION, 512)
    assert old_hits == new_hits == still_old == [(1, LEAVE)]
    assert left == 0


def test_the_active_alias_moves_to_the_new_collection(tmp_path: Path, embedder: Embedder) -> None:
    from qdrant_client import QdrantClient

    from retrieval.store.server import ServerStore

    path = tmp_path / "qdrant"
    text = tmp_path / "leave.txt"
    text.write_text(LEAVE)
    for collection in ("chunks_old", "chunks_new"):
        # Local mode admits one client per directory: one store at a time, like a switch.
        store = ServerStore(dimension=embedder.dimension, collection=collection, path=path)
        Indexer(store=store, embedder=embedder).index_file(text, meta=meta(1))
        store.point_alias("chunks_active")
        store.close()
    client = QdrantClient(path=str(path))
    try:
        aliases = {a.alias_name: a.collection_name for a in client.get_aliases().aliases}
        through_alias = client.count("chunks_active").count
    finally:
        client.close()

    assert aliases == {"chunks_active": "chunks_new"}
    assert through_alias == 1
