"""End to end: a generated file is parsed, chunked, embedded, upserted and found again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from retrieval import (
    ChunkingConfig,
    DocumentMeta,
    Embedder,
    EmptyDocumentError,
    Indexer,
    ParseError,
    Progress,
    Searcher,
    SparseEncoder,
    StoreConfig,
    VectorStore,
    open_store,
)

HR, FINANCE = 10, 20
LEAVE = "Every full-time employee is entitled to twenty-seven days of paid annual leave per year."
PARKING = "Bicycle parking is available in the basement of the Lisbon office next to the showers."


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for lines in pages:
        for row, line in enumerate(lines):
            pdf.drawString(60, 780 - 18 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def handbook(path: Path) -> Path:
    return write_pdf(
        path,
        [
            ["Staff Handbook", "Welcome to the company. This handbook explains how we work."],
            ["Annual leave", LEAVE, "Leave requests are approved by your manager in the portal."],
            ["Offices", PARKING],
        ],
    )


def meta(document_id: int = 41, groups: tuple[int, ...] = (HR,)) -> DocumentMeta:
    return DocumentMeta(document_id, 3, groups, "Staff Handbook", "ab" * 32)


@pytest.fixture
def indexer(store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder) -> Indexer:
    return Indexer(store=store, embedder=embedder, sparse=sparse_encoder)


@pytest.fixture
def searcher(store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder) -> Searcher:
    return Searcher(store=store, embedder=embedder, sparse=sparse_encoder)


def test_indexed_pdf_answers_with_the_right_page(
    tmp_path: Path, indexer: Indexer, searcher: Searcher, store: VectorStore
) -> None:
    progress: list[Progress] = []

    result = indexer.index_file(
        handbook(tmp_path / "h.pdf"), meta=meta(), on_progress=progress.append
    )
    hits = searcher.search(
        "How many days of paid annual leave do employees get?", allowed_group_ids=[HR]
    )

    assert result.chunk_count == 3
    assert store.count(document_id=41) == 3
    assert (hits[0].document_id, hits[0].page, hits[0].collection_id) == (41, 2, 3)
    assert LEAVE in hits[0].text
    assert hits[0].title == "Staff Handbook"
    assert searcher.search("annual leave", allowed_group_ids=[FINANCE]) == []
    assert searcher.search("annual leave", allowed_group_ids=[]) == []
    assert progress == [
        Progress(stage="parsing", done=0, total=1),
        Progress(stage="parsing", done=1, total=1),
        Progress(stage="chunking", done=3, total=3),
        Progress(stage="embedding", done=0, total=3),
        Progress(stage="embedding", done=3, total=3),
        Progress(stage="indexing", done=0, total=3),
        Progress(stage="indexing", done=3, total=3),
    ]


def test_embedding_progress_is_reported_per_batch(
    tmp_path: Path, store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    indexer = Indexer(store=store, embedder=embedder, sparse=sparse_encoder, batch_size=2)
    progress: list[Progress] = []

    indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta(), on_progress=progress.append)

    embedding = [(p.done, p.total) for p in progress if p.stage == "embedding"]
    assert embedding == [(0, 3), (2, 3), (3, 3)]


def test_reindexing_converges_and_a_shorter_version_drops_old_chunks(
    tmp_path: Path, indexer: Indexer, searcher: Searcher, store: VectorStore
) -> None:
    path = handbook(tmp_path / "h.pdf")
    indexer.index_file(path, meta=meta())
    ids = store.point_ids(document_id=41)

    indexer.index_file(path, meta=meta())
    assert store.point_ids(document_id=41) == ids

    shorter = write_pdf(tmp_path / "v2.pdf", [["Annual leave", LEAVE]])
    result = indexer.index_file(shorter, meta=meta())

    assert result.chunk_count == 1
    assert store.count(document_id=41) == 1
    assert [h.page for h in searcher.search("bicycle parking", allowed_group_ids=[HR])] == [1]


def test_small_chunks_keep_page_numbers(
    tmp_path: Path, store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    indexer = Indexer(
        store=store,
        embedder=embedder,
        sparse=sparse_encoder,
        chunking=ChunkingConfig(chunk_tokens=16, overlap_tokens=4),
    )

    result = indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta())

    assert result.chunk_count > 3
    hits = Searcher(store=store, embedder=embedder, sparse=sparse_encoder).search(
        "bicycle parking basement Lisbon", allowed_group_ids=[HR], limit=1
    )
    assert hits[0].page == 3


def test_failed_parse_leaves_the_previous_version_searchable(
    tmp_path: Path, indexer: Indexer, store: VectorStore
) -> None:
    indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta())
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    empty = tmp_path / "empty.md"
    empty.write_text("# Only a heading\n")

    with pytest.raises(ParseError):
        indexer.index_file(broken, meta=meta())
    with pytest.raises(EmptyDocumentError):
        indexer.index_file(empty, meta=meta())

    assert store.count(document_id=41) == 3


def test_delete_document(tmp_path: Path, indexer: Indexer, store: VectorStore) -> None:
    indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta(41))
    indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta(42))

    indexer.delete_document(41)

    assert store.count(document_id=41) == 0
    assert store.count(document_id=42) == 3


def test_edge_store_serves_searches_while_indexing_from_another_thread(
    tmp_path: Path, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    store = open_store(
        StoreConfig(kind="edge", path=tmp_path / "edge"), dimension=embedder.dimension
    )
    indexer = Indexer(store=store, embedder=embedder, sparse=sparse_encoder)
    searcher = Searcher(store=store, embedder=embedder, sparse=sparse_encoder)
    indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta(1))
    errors: list[BaseException] = []

    def index_more() -> None:
        try:
            for document_id in range(2, 6):
                indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta(document_id))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=index_more)
    worker.start()
    while worker.is_alive():
        assert searcher.search("annual leave", allowed_group_ids=[HR])[0].page == 2
    worker.join()
    store.close()

    assert errors == []
