"""Copying a document's stored points instead of embedding the same file again (both stores)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from retrieval import (
    ChunkingConfig,
    DocumentMeta,
    Embedder,
    Indexer,
    Progress,
    Searcher,
    SparseConfig,
    SparseEncoder,
    VectorStore,
    embedding_identity,
)
from retrieval.pipeline import embedding_key
from tests.support.documents import make_handbook_pdf
from tests.support.embedding import CountingEmbedder

HR, FINANCE = 10, 20
QUESTION = "How many days of paid annual leave do employees get?"


def meta(document_id: int, collection_id: int, groups: tuple[int, ...]) -> DocumentMeta:
    return DocumentMeta(document_id, collection_id, groups, "Staff Handbook", "ab" * 32)


@pytest.fixture
def counting(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def indexer(
    store: VectorStore, counting: CountingEmbedder, sparse_encoder: SparseEncoder
) -> Indexer:
    return Indexer(store=store, embedder=counting, sparse=sparse_encoder, batch_size=2)


@pytest.fixture
def searcher(store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder) -> Searcher:
    return Searcher(store=store, embedder=embedder, sparse=sparse_encoder)


def test_copy_embeds_nothing_and_finds_the_same_passages_under_the_new_groups(
    tmp_path: Path,
    indexer: Indexer,
    counting: CountingEmbedder,
    searcher: Searcher,
    store: VectorStore,
) -> None:
    original = indexer.index_file(make_handbook_pdf(tmp_path / "h.pdf"), meta=meta(1, 3, (HR,)))
    assert counting.reset() == original.chunk_count == 3
    progress: list[Progress] = []

    copied = indexer.copy_document(
        1, meta=meta(2, 4, (FINANCE,)), chunk_count=3, on_progress=progress.append
    )

    assert copied is not None and (copied.chunk_count, copied.reused_from) == (3, 1)
    assert counting.reset() == 0
    assert store.count(document_id=2) == 3
    hr = searcher.search(QUESTION, allowed_group_ids=[HR])
    finance = searcher.search(QUESTION, allowed_group_ids=[FINANCE])
    assert {p.document_id for p in hr} == {1} and {p.document_id for p in finance} == {2}
    assert [(p.text, p.page, p.chunk_index, p.score) for p in finance] == [
        (p.text, p.page, p.chunk_index, p.score) for p in hr
    ]
    assert "twenty-seven days" in finance[0].text and finance[0].collection_id == 4
    assert progress == [
        Progress(stage="embedding", done=0, total=3),
        Progress(stage="embedding", done=2, total=3),
        Progress(stage="embedding", done=3, total=3),
        Progress(stage="indexing", done=0, total=3),
        Progress(stage="indexing", done=3, total=3),
    ]


def test_a_copy_converges_with_a_normal_index_of_the_same_file(
    tmp_path: Path, indexer: Indexer, store: VectorStore
) -> None:
    path = make_handbook_pdf(tmp_path / "h.pdf")
    indexer.index_file(path, meta=meta(1, 3, (HR,)))
    indexer.copy_document(1, meta=meta(2, 4, (FINANCE,)), chunk_count=3)
    copied_ids = store.point_ids(document_id=2)

    indexer.index_file(path, meta=meta(2, 4, (FINANCE,)))

    assert store.point_ids(document_id=2) == copied_ids
    assert store.count() == 6


def test_deleting_the_source_leaves_the_copy_whole(
    tmp_path: Path, indexer: Indexer, searcher: Searcher, store: VectorStore
) -> None:
    indexer.index_file(make_handbook_pdf(tmp_path / "h.pdf"), meta=meta(1, 3, (HR,)))
    indexer.copy_document(1, meta=meta(2, 4, (FINANCE,)), chunk_count=3)

    indexer.delete_document(1)

    assert (store.count(document_id=1), store.count(document_id=2)) == (0, 3)
    assert searcher.search(QUESTION, allowed_group_ids=[FINANCE])[0].document_id == 2


@pytest.mark.parametrize("source_chunks", [0, 2, 4])
def test_missing_or_incomplete_source_points_are_refused_without_writing(
    tmp_path: Path, indexer: Indexer, store: VectorStore, source_chunks: int
) -> None:
    """Source gone (0 points), fewer or more points than its row says: no copy, nothing left."""
    indexer.index_file(make_handbook_pdf(tmp_path / "h.pdf"), meta=meta(1, 3, (HR,)))
    if source_chunks == 0:
        indexer.delete_document(1)

    assert indexer.copy_document(1, meta=meta(2, 4, (FINANCE,)), chunk_count=source_chunks) is None
    assert store.count(document_id=2) == 0


@pytest.mark.parametrize(
    "change",
    [
        # The context prefix embeds the title with each chunk: another title needs new vectors.
        {"title": "Manual"},
        # The source's points hold another file (it was replaced after it was chosen).
        {"sha256": "cd" * 32},
    ],
)
def test_another_title_or_file_than_the_one_embedded_is_not_copied(
    tmp_path: Path, indexer: Indexer, store: VectorStore, change: dict[str, str]
) -> None:
    indexer.index_file(make_handbook_pdf(tmp_path / "h.pdf"), meta=meta(1, 3, (HR,)))
    target = dataclasses.replace(meta(2, 4, (FINANCE,)), **change)

    assert indexer.copy_document(1, meta=target, chunk_count=3) is None
    assert store.count(document_id=2) == 0


def test_the_embedding_key_follows_model_chunking_prefix_and_bm25_settings(
    indexer: Indexer, embedder: Embedder
) -> None:
    def key(chunking: ChunkingConfig = ChunkingConfig(), sparse: SparseConfig = SparseConfig()):  # noqa: B008
        return embedding_key(
            model_name=embedding_identity(embedder),
            dimension=embedder.dimension,
            chunking=chunking,
            sparse=sparse,
        )

    assert indexer.embedding_key == key() and len(key()) == 64
    others = {
        key(ChunkingConfig(chunk_tokens=120)),
        key(ChunkingConfig(overlap_tokens=0)),
        key(ChunkingConfig(context_prefix=False)),
        key(sparse=SparseConfig(language="portuguese")),
        embedding_key(
            model_name="other-model",
            dimension=embedder.dimension,
            chunking=ChunkingConfig(),
            sparse=SparseConfig(),
        ),
    }
    assert len(others) == 5 and key() not in others
