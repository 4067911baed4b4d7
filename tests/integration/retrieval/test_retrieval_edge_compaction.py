"""Qdrant Edge compaction: a deleted document's text leaves every file of the shard.

Deleting points only marks them deleted: the passage text stays in the
segment's payload storage and in the write-ahead log, also after a restart.
``compact()`` rewrites the shard with its live points; the other documents
stay searchable, during the compaction too.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from retrieval import SearchConfig, StoreConfig, open_store
from retrieval.store.edge_compaction import PENDING_FILE
from tests.integration.retrieval.test_retrieval_store_contract import HR, LEAVE, Points, search

MARKER = "QUOKKAVELVETERASE"
SECRET = f"The project codename is {MARKER} and it ships in May."


def _files_with(folder: Path, needle: str) -> list[str]:
    data = needle.encode()
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and data in path.read_bytes()
    )


def _open(path: Path, dimension: int):
    return open_store(StoreConfig(kind="edge", path=path), dimension=dimension, embedding="e/x")


@pytest.fixture
def points(embedder, sparse_encoder) -> Points:
    return Points(embedder, sparse_encoder)


@pytest.fixture
def shard(tmp_path: Path, points: Points):
    path = tmp_path / "edge"
    store = _open(path, points.embedder.dimension)
    store.upsert(points.make([SECRET, "Lunch is served at noon."], document_id=1))
    store.upsert(points.make([LEAVE], document_id=2))
    store.flush()
    yield path, store
    store.close()


def test_deleted_text_stays_on_disk_until_compaction(shard, points):
    path, store = shard

    store.delete_document(1)
    store.flush()
    before = _files_with(path, MARKER)
    pending = store.erasure_pending
    kept = store.compact()

    assert before, "the deleted passage was still in the shard's files"
    assert pending
    assert kept == 1
    assert _files_with(path.parent, MARKER) == []
    assert not store.erasure_pending
    assert [p.document_id for p in search(store, points, "annual leave", [HR])] == [2]
    assert search(store, points, "project codename", [HR])[0].document_id == 2


def test_a_compacted_shard_reopens_with_its_points_and_takes_updates(shard, points):
    path, store = shard
    store.delete_document(1)
    store.compact()
    store.close()

    reopened = _open(path, points.embedder.dimension)
    reopened.upsert(points.make(["Badges are renewed every year."], document_id=3))
    counts = (reopened.count(), reopened.count(document_id=2), reopened.count(document_id=3))
    reopened.close()

    assert counts == (2, 1, 1)
    assert _files_with(path.parent, MARKER) == []


def test_only_a_whole_document_leaving_marks_the_shard(shard):
    path, store = shard

    store.delete_document(2, keep_point_ids={str(uuid.uuid4())})  # re-indexing's stale points
    marked_by_reindex = (path / PENDING_FILE).exists()
    store.delete_document(2)

    assert not marked_by_reindex
    assert store.erasure_pending


def test_searches_go_on_while_the_shard_is_compacted(shard, points):
    path, store = shard
    store.delete_document(1)
    config = SearchConfig()
    dense, sparse = points.embedder.embed_query(LEAVE), points.sparse.encode_query(LEAVE)
    found: list[list[int]] = []
    done = threading.Event()

    def keep_searching() -> None:
        while not done.is_set():
            hits = store.search(
                dense=dense,
                sparse=sparse,
                allowed_group_ids=[HR],
                collection_ids=None,
                limit=3,
                config=config,
            )
            found.append([h.document_id for h in hits])

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        for _ in range(3):
            store.delete_document(1)
            store.compact()
    finally:
        done.set()
        searcher.join()

    assert found and all(ids == [2] for ids in found)


@pytest.mark.parametrize("cut", ["after moving the old shard", "before the copy finished"])
def test_a_compaction_cut_by_a_crash_is_finished_or_undone_on_open(shard, points, cut):
    path, store = shard
    store.delete_document(1)
    store.close()
    if cut == "after moving the old shard":
        path.rename(path.with_name("edge.old"))
    else:
        (path.with_name("edge.compacting") / "segments").mkdir(parents=True)

    reopened = _open(path, points.embedder.dimension)
    count = reopened.count()
    pending = reopened.erasure_pending
    reopened.close()

    assert count == 1
    assert pending  # the deletion still awaits its compaction
    assert sorted(p.name for p in path.parent.iterdir()) == ["edge"]
