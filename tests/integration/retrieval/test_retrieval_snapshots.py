"""Index snapshots (backup and restore): every store kind into every store kind, same answers."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from retrieval import Embedder, SearchConfig, SparseEncoder, StoreConfig, VectorStore, open_store
from retrieval.store.snapshots import Snapshottable, restore_snapshot
from tests.integration.retrieval.test_retrieval_store_contract import (
    BADGE,
    BONUS,
    FINANCE,
    HR,
    LEAVE,
    Points,
)

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version")


@pytest.fixture
def points(embedder: Embedder, sparse_encoder: SparseEncoder) -> Points:
    return Points(embedder, sparse_encoder)


def _answers(store: VectorStore, points: Points, query: str) -> list[tuple]:
    hits = store.search(
        dense=points.embedder.embed_query(query),
        sparse=points.sparse.encode_query(query),
        allowed_group_ids=[HR, FINANCE],
        collection_ids=None,
        limit=5,
        config=SearchConfig(),
    )
    return [(h.document_id, h.chunk_index, h.page, h.title, h.text) for h in hits]


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("target_kind", ["edge", "local"])
def test_a_snapshot_restored_into_any_kind_answers_the_same(
    store: VectorStore, points: Points, tmp_path: Path, target_kind: str
) -> None:
    store.upsert(points.make([LEAVE, BONUS], document_id=1, groups=(HR, FINANCE), page=4))
    store.upsert(points.make([BADGE], document_id=2, groups=(HR,), page=2))
    store.delete_document(2)  # deleted points are not in the snapshot
    store.upsert(points.make([BADGE], document_id=3, groups=(FINANCE,), page=7))
    before = _answers(store, points, "how many days of annual leave")
    assert isinstance(store, Snapshottable)

    copied = store.snapshot(tmp_path / "snapshot")
    files = _files(tmp_path / "snapshot")

    config = StoreConfig(kind=target_kind, path=tmp_path / f"restored-{target_kind}")
    restored = restore_snapshot(config, tmp_path / "snapshot", dimension=points.embedder.dimension)
    opened = open_store(config, dimension=points.embedder.dimension)
    try:
        assert (copied, restored.points) == (3, 3)
        assert restored.documents == {1: (2, {"0" * 64}), 3: (1, {"0" * 64})}
        assert _files(tmp_path / "snapshot") == files  # the backup itself is never opened
        assert (opened.count(document_id=1), opened.count(document_id=2)) == (2, 0)
        assert _answers(opened, points, "how many days of annual leave") == before
        assert _answers(opened, points, "lost badge")[0][:3] == (3, 0, 7)
    finally:
        opened.close()


def test_an_edge_snapshot_is_one_point_in_time_while_updates_go_on(
    tmp_path: Path, points: Points
) -> None:
    """Upserts during the copy wait for it: the snapshot holds whole batches only."""
    config = StoreConfig(kind="edge", path=tmp_path / "edge")
    store = open_store(config, dimension=points.embedder.dimension)
    batch = points.make([LEAVE, BONUS, BADGE], document_id=1)
    store.upsert(batch)
    stop = threading.Event()

    def writer() -> None:
        document_id = 100
        while not stop.is_set():
            store.upsert(points.make([LEAVE, BONUS, BADGE], document_id=document_id))
            document_id += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copied = store.snapshot(tmp_path / "snapshot")
    finally:
        stop.set()
        thread.join()
        store.close()
    assert copied % 3 == 0  # every document has all 3 of its points, or none
    restored = restore_snapshot(
        StoreConfig(kind="edge", path=tmp_path / "restored"),
        tmp_path / "snapshot",
        dimension=points.embedder.dimension,
    )
    assert restored.points == copied
