"""Chunks cut and tokenized in the parser process are the worker's own: same texts, same vectors."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from retrieval import (
    ChunkingConfig,
    DocumentMeta,
    Embedder,
    EmbeddingBatcher,
    Indexer,
    ParsingConfig,
    Progress,
    SparseEncoder,
    StoreConfig,
    open_store,
)
from retrieval.chunking import Chunker, index_text
from retrieval.errors import ParseError
from retrieval.parsing import parse_file
from retrieval.parsing.sandbox import _server, chunk_isolated
from retrieval.parsing.sandbox_server import CHILD_NICE
from retrieval.prepared import chunk_plan
from retrieval.store.base import IndexedChunk
from tests.unit.retrieval.conftest import write_pdf

REPO = Path(__file__).resolve().parents[3]
EVAL_ROOT = Path(os.environ.get("ENCLAVE_EVAL_ROOT", REPO.parent / "shared" / "eval"))
# Real documents of three formats, read in place (never copied).
REAL = (
    "enterprise-docs/unstructured-real-docs/docx-tables.docx",
    "enterprise-docs/unstructured-real-docs/DA-1p.pdf",
    "enterprise-docs/unstructured-real-docs/example-10k-1p.html",
    "enterprise-docs/18f-handbook-markdown/pages/travel-and-leave/fmla.md",
)
LEAVE = "Every full-time employee is entitled to twenty-seven days of paid annual leave per year."


def _documents(tmp_path: Path) -> list[Path]:
    made = write_pdf(
        tmp_path / "leave.pdf",
        [[LEAVE, "Carry-over is capped at five days."], ["Os dias de férias não gozados expiram."]],
        title="Leave policy",
    )
    real = [EVAL_ROOT / name for name in REAL if (EVAL_ROOT / name).is_file()]
    return [made, *real]


def _index(
    embedder: Embedder, path: Path, tmp_path: Path, *, isolate: bool
) -> tuple[list[IndexedChunk], EmbeddingBatcher]:
    store = open_store(
        StoreConfig(kind="local", path=tmp_path / f"{path.name}-{isolate}"),
        dimension=embedder.dimension,
    )
    batcher = EmbeddingBatcher(embedder)
    indexer = Indexer(
        store=store,
        embedder=batcher,
        sparse=SparseEncoder(),
        parsing=ParsingConfig(isolate=isolate),
    )
    meta = DocumentMeta(document_id=7, collection_id=1, group_ids=(1,), title="", sha256="x")
    try:
        indexer.index_file(path, meta=meta, filename=path.name)
        points = [p for page in store.document_points(7) for p in page]
    finally:
        store.close()
    return sorted(points, key=lambda p: p.chunk.index), batcher


def test_the_parser_process_gives_the_worker_the_same_chunks_and_vectors(
    embedder: Embedder, tmp_path: Path
) -> None:
    documents = _documents(tmp_path)
    for path in documents:
        here, in_process = _index(embedder, path, tmp_path, isolate=False)
        there, batcher = _index(embedder, path, tmp_path, isolate=True)

        assert here, path.name
        assert [(p.chunk, p.meta.title, p.point_id) for p in there] == [
            (p.chunk, p.meta.title, p.point_id) for p in here
        ], path.name
        assert [p.dense for p in there] == [p.dense for p in here], path.name
        assert [p.sparse for p in there] == [p.sparse for p in here], path.name
        # Tokenized by the parser process for one, by this process for the other.
        assert (batcher.encoded_texts, batcher.prepared_texts) == (len(here), len(here))
        assert (in_process.encoded_texts, in_process.prepared_texts) == (len(here), 0)
    assert here[0].meta.title  # the last document's own title was embedded


def test_the_parser_process_tokenizes_what_the_embedder_would(
    embedder: Embedder, tmp_path: Path
) -> None:
    path = _documents(tmp_path)[0]
    chunker = Chunker(ChunkingConfig(), embedder.tokenizer)
    batcher = EmbeddingBatcher(embedder)
    kind = batcher.portable_prepare()
    plan = chunk_plan(chunker, context_prefix=True, prepare=kind, title="")
    assert plan is not None and kind == "usem3-sentencepiece"

    document = chunk_isolated(path, plan=plan, filename=path.name)
    prepared = list(document.chunks)

    parsed = parse_file(path, filename=path.name)
    chunks = list(chunker.chunk(parsed.sections))
    texts = [index_text(c, parsed.title or "") for c in chunks]
    assert document.title == parsed.title == "Leave policy"
    assert [p.chunk for p in prepared] == chunks
    assert [p.ids for p in prepared] == embedder.prepare(texts)  # type: ignore[attr-defined]
    assert prepared[0].chunk.text.startswith("Every full-time employee is entitled")


def test_a_corrupt_file_fails_alone_with_its_reason_when_the_parser_chunks(
    embedder: Embedder, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    good = write_pdf(tmp_path / "good.pdf", [[LEAVE]])
    store = open_store(StoreConfig(kind="local", path=tmp_path / "s"), dimension=embedder.dimension)
    indexer = Indexer(store=store, embedder=EmbeddingBatcher(embedder), sparse=SparseEncoder())
    meta = DocumentMeta(document_id=1, collection_id=1, group_ids=(1,), title="", sha256="x")
    try:
        with pytest.raises(Exception, match="PDF") as failure:
            indexer.index_file(broken, meta=meta, filename="broken.pdf")
        assert "could not be read" in str(failure.value) or "damaged" in str(failure.value)
        result = indexer.index_file(
            good, meta=DocumentMeta(2, 1, (1,), "", "y"), filename="good.pdf"
        )
    finally:
        store.close()
    assert result.chunk_count == 1


def test_the_parser_process_dying_mid_document_fails_it_and_the_next_one_indexes(
    embedder: Embedder, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    # About 1,500 chunks: the child is still cutting them (blocked on the socket) when
    # the worker embeds its first window.
    big.write_text(("A line of text that fills many chunks of the document. " * 150 + "\n\n") * 120)
    small = tmp_path / "small.txt"
    small.write_text(LEAVE)
    store = open_store(StoreConfig(kind="local", path=tmp_path / "s"), dimension=embedder.dimension)
    indexer = Indexer(store=store, embedder=EmbeddingBatcher(embedder), sparse=SparseEncoder())
    killed: list[int] = []
    niceness: list[int] = []

    def kill_the_child(progress: Progress) -> None:
        if progress.stage == "embedding" and not killed:
            server = _server()._process
            assert server is not None
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            for pid in map(int, children):
                niceness.append(
                    int(Path(f"/proc/{pid}/stat").read_text().rsplit(")")[1].split()[16])
                )
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    try:
        with pytest.raises(ParseError) as failure:
            indexer.index_file(
                big, meta=DocumentMeta(1, 1, (1,), "", "x"), on_progress=kill_the_child
            )
        result = indexer.index_file(small, meta=DocumentMeta(2, 1, (1,), "", "y"))
    finally:
        store.close()

    assert killed
    # The child parses and chunks nicer than the worker encodes (background work).
    assert niceness == [min(19, os.nice(0) + CHILD_NICE)] * len(killed)
    assert (
        failure.value.message == "The text file could not be read: the parser stopped (signal 9)."
    )
    assert result.chunk_count == 1
