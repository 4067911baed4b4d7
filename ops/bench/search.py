"""Search latency benchmark: ``Searcher.search`` on a scratch Qdrant Edge store.

    python -m ops.bench.search [--chunks 20000] [--distinct 2000] [--queries 200]
                               [--threads 2] [--out ops/bench/results/search.md]

Fills a store with ``--chunks`` points built from real 18F handbook chunks.
Only ``--distinct`` texts are embedded with the real model; further copies of
the handbook documents reuse those vectors with small Gaussian perturbations
(renormalised) under new document ids. Each document gets random group ids,
and every query runs under a random ACL. Latency is measured before and after
``store.optimize()`` (HNSW build), with query embedding, BM25 query encoding and
the Qdrant hybrid query timed separately, then ``Searcher.search`` end to end.
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ops.bench.corpus import DEFAULT_EVAL_ROOT, REPO_ROOT, chunk_documents, handbook_pages
from ops.bench.measure import current_rss_mib, load_average, peak_rss_mib, percentile
from ops.bench.questions import HANDBOOK_QUESTIONS
from ops.bench.report import machine_line, markdown_table, write_report
from retrieval import (
    Chunk,
    Chunker,
    ChunkingConfig,
    DocumentMeta,
    Embedder,
    EmbeddingConfig,
    IndexedChunk,
    SearchConfig,
    Searcher,
    SparseEncoder,
    SparseVector,
    StoreConfig,
    VectorStore,
    chunk_point_id,
    load_embedder,
    open_store,
)

__all__ = ["main"]

UPSERT_BATCH = 256
LIMIT = 6
WARMUP_QUERIES = 5
STEPS = (
    ("embed", "query embedding (`embed_query`)"),
    ("bm25", "BM25 query encoding (`encode_query`)"),
    ("store", "Qdrant hybrid query under ACL (`store.search`, precomputed vectors)"),
    ("query", "query embedding + BM25 + Qdrant (the issue's target: p95 <= 30 ms at 100k)"),
    ("searcher", "`Searcher.search` end to end"),
)


@dataclass
class BaseCorpus:
    """Distinct handbook chunks, grouped by source page, with their vectors."""

    titles: list[str]
    documents: list[tuple[str, ...]]
    dense: Any  # numpy array, one row per text in document order
    sparse: list[SparseVector]
    embed_seconds: float


@dataclass
class FilledStore:
    """What went into the store: document groups and chunk counts, and how long it took."""

    groups: dict[int, tuple[int, ...]] = field(default_factory=dict)
    chunks: dict[int, int] = field(default_factory=dict)
    upsert_seconds: float = 0.0


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.search", description=__doc__)
    parser.add_argument("--chunks", type=int, default=20_000, help="points in the store")
    parser.add_argument("--distinct", type=int, default=2_000, help="texts really embedded")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--groups", type=int, default=20, help="distinct group ids")
    parser.add_argument("--allowed", type=int, default=3, help="groups allowed per query")
    parser.add_argument("--noise", type=float, default=0.01, help="per-dimension sigma")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-optimize", action="store_true", help="skip the HNSW build")
    parser.add_argument("--eval-root", type=Path, default=DEFAULT_EVAL_ROOT)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ops/bench/results/search.md")
    return parser.parse_args(argv)


def _base_corpus(embedder: Embedder, eval_root: Path, distinct: int) -> BaseCorpus:
    chunker = Chunker(ChunkingConfig(), embedder.tokenizer)
    titles: list[str] = []
    documents: list[tuple[str, ...]] = []
    remaining = distinct
    for page in handbook_pages(eval_root):
        if remaining <= 0:
            break
        parsed, _skipped = chunk_documents([page], chunker)
        if not parsed:
            continue
        doc = parsed[0]
        titles.append(doc.path.stem)
        documents.append(doc.texts[:remaining])
        remaining -= len(documents[-1])
    texts = [text for doc in documents for text in doc]
    started = time.perf_counter()
    dense = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    embed_seconds = time.perf_counter() - started
    sparse_encoder = SparseEncoder()
    sparse = [sparse_encoder.encode_document(text) for text in texts]
    return BaseCorpus(titles, documents, dense, sparse, embed_seconds)


def _perturbed(vectors: Any, noise: float, rng: np.random.Generator) -> Any:
    moved = vectors + rng.normal(0.0, noise, size=vectors.shape).astype(np.float32)
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def _fill(store: VectorStore, corpus: BaseCorpus, args: argparse.Namespace) -> FilledStore:
    """Upsert ``args.chunks`` points: handbook copies with distinct ids, groups and vectors."""
    rng = random.Random(args.seed)
    noise_rng = np.random.default_rng(args.seed)
    offsets = np.cumsum([0] + [len(doc) for doc in corpus.documents]).tolist()
    filled = FilledStore()
    batch: list[IndexedChunk] = []
    total = 0
    while total < args.chunks:
        document_id = len(filled.chunks) + 1
        copy, base = divmod(document_id - 1, len(corpus.documents))
        start = offsets[base]
        count = min(len(corpus.documents[base]), args.chunks - total)
        dense = corpus.dense[start : start + count]
        if copy:
            dense = _perturbed(dense, args.noise, noise_rng)
        groups = tuple(sorted(rng.sample(range(1, args.groups + 1), rng.choice((1, 2)))))
        meta = DocumentMeta(
            document_id=document_id,
            collection_id=1 + document_id % 4,
            group_ids=groups,
            title=f"{corpus.titles[base]} (copy {copy})",
            sha256=f"{document_id:064x}",
        )
        texts = corpus.documents[base][:count]
        batch += _points(meta, texts, dense, corpus.sparse[start : start + count])
        filled.groups[document_id] = groups
        filled.chunks[document_id] = count
        total += count
        while len(batch) >= UPSERT_BATCH:
            filled.upsert_seconds += _upsert(store, batch[:UPSERT_BATCH])
            batch = batch[UPSERT_BATCH:]
    filled.upsert_seconds += _upsert(store, batch)
    return filled


def _points(
    meta: DocumentMeta, texts: Sequence[str], dense: Any, sparse: Sequence[SparseVector]
) -> list[IndexedChunk]:
    return [
        IndexedChunk(
            point_id=chunk_point_id(meta.document_id, index, text),
            chunk=Chunk(index=index, text=text, page=None, heading=""),
            meta=meta,
            dense=dense[index].tolist(),
            sparse=sparse[index],
        )
        for index, text in enumerate(texts)
    ]


def _upsert(store: VectorStore, batch: Sequence[IndexedChunk]) -> float:
    started = time.perf_counter()
    store.upsert(batch)
    return time.perf_counter() - started


def _workload(args: argparse.Namespace) -> list[tuple[str, list[int]]]:
    rng = random.Random(args.seed + 1)
    groups = range(1, args.groups + 1)
    return [
        (HANDBOOK_QUESTIONS[i % len(HANDBOOK_QUESTIONS)], sorted(rng.sample(groups, args.allowed)))
        for i in range(args.queries)
    ]


@dataclass
class PhaseResult:
    """Latencies in milliseconds per step, plus what the searches returned."""

    millis: dict[str, list[float]]
    hits: int
    acl_violations: int


def _measure(
    store: VectorStore,
    embedder: Embedder,
    workload: Sequence[tuple[str, list[int]]],
    filled: FilledStore,
) -> PhaseResult:
    sparse_encoder = SparseEncoder()
    searcher = Searcher(store=store, embedder=embedder, sparse=sparse_encoder)
    for query, allowed in workload[:WARMUP_QUERIES]:
        searcher.search(query, allowed_group_ids=allowed, limit=LIMIT)
    millis: dict[str, list[float]] = {step: [] for step, _ in STEPS}
    hits = violations = 0
    for query, allowed in workload:
        t0 = time.perf_counter()
        dense = embedder.embed_query(query)
        t1 = time.perf_counter()
        sparse = sparse_encoder.encode_query(query)
        t2 = time.perf_counter()
        passages = store.search(
            dense=dense,
            sparse=sparse,
            allowed_group_ids=allowed,
            collection_ids=None,
            limit=LIMIT,
            config=SearchConfig(),
        )
        t3 = time.perf_counter()
        steps = (("embed", t1 - t0), ("bm25", t2 - t1), ("store", t3 - t2), ("query", t3 - t0))
        for step, seconds in steps:
            millis[step].append(seconds * 1000)
        hits += len(passages)
        violations += sum(1 for p in passages if not set(filled.groups[p.document_id]) & {*allowed})
    for query, allowed in workload:
        started = time.perf_counter()
        searcher.search(query, allowed_group_ids=allowed, limit=LIMIT)
        millis["searcher"].append((time.perf_counter() - started) * 1000)
    return PhaseResult(millis, hits, violations)


def _visible_share(filled: FilledStore, workload: Sequence[tuple[str, list[int]]]) -> float:
    total = sum(filled.chunks.values())
    shares = []
    for _query, allowed in workload:
        visible = sum(
            count
            for document_id, count in filled.chunks.items()
            if set(filled.groups[document_id]) & set(allowed)
        )
        shares.append(visible / total)
    return sum(shares) / len(shares)


def _latency_table(phases: Sequence[tuple[str, PhaseResult]]) -> str:
    rows: list[list[Any]] = []
    for phase, result in phases:
        for step, label in STEPS:
            values = result.millis[step]
            rows.append(
                [
                    phase,
                    label,
                    percentile(values, 50),
                    percentile(values, 95),
                    sum(values) / len(values),
                    len(values),
                ]
            )
    headers = ["store", "step", "p50 ms", "p95 ms", "mean ms", "queries"]
    return markdown_table(headers, rows, digits=2)


@dataclass
class Run:
    """Everything the report needs."""

    corpus: BaseCorpus
    filled: FilledStore
    phases: list[tuple[str, PhaseResult]]
    optimize_seconds: float | None
    optimize_note: str
    visible_share: float
    points: int
    total_seconds: float
    footprint: list[tuple[str, float, float]]  # (moment, RSS MiB, store directory MiB)


def _summary_table(run: Run, args: argparse.Namespace) -> str:
    distinct = len(run.corpus.sparse)
    documents = len(run.filled.chunks)
    hits = ", ".join(f"{p.hits / args.queries:.1f}" for _, p in run.phases)
    violations = sum(p.acl_violations for _, p in run.phases)
    optimize = run.optimize_note
    if run.optimize_seconds is not None:
        optimize = f"{run.optimize_seconds:.1f} s{run.optimize_note}"
    rows = [
        ["points in the store (counted after filling)", f"{run.points:,}"],
        ["documents (handbook pages and their copies)", f"{documents:,}"],
        [
            "distinct texts embedded with the real model",
            f"{distinct:,} in {run.corpus.embed_seconds:.1f} s "
            f"({distinct / run.corpus.embed_seconds:.1f} chunks/s)",
        ],
        [
            "other points",
            f"{run.points - distinct:,} reuse those vectors + N(0, {args.noise}) per dimension, "
            "renormalised; same texts and BM25 vectors, new document ids",
        ],
        ["upsert time (batches of 256)", f"{run.filled.upsert_seconds:.1f} s"],
        ["`store.optimize()` (HNSW build, segment merge)", optimize],
        [
            "ACL",
            f"each document in 1–2 of {args.groups} groups; each query allows {args.allowed} "
            f"random groups, which see {run.visible_share:.0%} of points on average",
        ],
        ["queries", f"{args.queries} ({len(HANDBOOK_QUESTIONS)} handbook questions cycled)"],
        ["hits per query (limit 6), per phase", hits],
        ["hits outside the allowed groups", str(violations)],
        *[
            [f"RSS / store on disk, {moment}", f"{rss:,.0f} MiB / {disk:,.0f} MiB"]
            for moment, rss, disk in run.footprint
        ],
        ["peak RSS of the whole run (VmHWM)", f"{peak_rss_mib():,.0f} MiB"],
        ["torch threads", str(args.threads)],
        ["whole run wall time", f"{run.total_seconds:.1f} s"],
    ]
    return markdown_table(["figure", "value"], rows)


def _report(run: Run, args: argparse.Namespace, loads: tuple[str, str]) -> str:
    command = shlex.join(["python", "-m", "ops.bench.search", *sys.argv[1:]])
    return "\n\n".join(
        [
            "# Search latency benchmark",
            f"Command: `{command}`",
            f"Sizes used: {run.points:,} points, {len(run.corpus.sparse):,} of them embedded "
            f"for real; {args.queries} queries per phase after {WARMUP_QUERIES} warm-up queries; "
            f"SearchConfig defaults (candidates {SearchConfig().candidates}, RRF k "
            f"{SearchConfig().rrf_k}), limit {LIMIT}, no collection filter.",
            _latency_table(run.phases),
            _summary_table(run, args),
            f"Load average (1/5/15 min) at start: {loads[0]}; at end: {loads[1]}.  \n"
            f"Machine: {machine_line(threads=args.threads)}.  \n"
            "Vectors other than the distinct ones are synthetic (perturbed copies), so "
            "dense-arm latency is realistic but result quality is not measured here.",
        ]
    )


def _optimize(store: VectorStore) -> tuple[float | None, str]:
    """Run ``optimize()`` while another thread ticks every 10 ms; its longest gap is reported.

    The gap says whether the build lets the process's other threads (in ``enclave
    serve``: every web request) run: Qdrant Edge's binding holds the GIL throughout.
    """
    optimize = getattr(store, "optimize", None)
    if optimize is None:
        return None, "not available on this store"
    stalls = _StallWatch()
    with stalls:
        started = time.perf_counter()
        changed = optimize()
        seconds = time.perf_counter() - started
    note = (
        f" (returned {changed}); meanwhile the longest pause of another Python thread "
        f"was {stalls.longest:.2f} s"
    )
    return seconds, note


class _StallWatch:
    """A thread that sleeps 10 ms at a time and keeps its longest gap between wake-ups."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="stall-watch", daemon=True)

    def __enter__(self) -> _StallWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tick(self) -> None:
        last, stopped = time.perf_counter(), False
        while not stopped:
            stopped = self._stop.wait(0.01)
            # Counted before leaving: the gap that ends when optimize() returns is the one.
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now


def _directory_mib(path: Path) -> float:
    total = sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())
    return total / 2**20


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    if not handbook_pages(args.eval_root):
        raise SystemExit(
            f"no 18F handbook pages under {args.eval_root}: point --eval-root at the "
            "evaluation data (../shared/eval beside the checkout)"
        )
    run_started = time.perf_counter()
    load_start = load_average()
    embedder = load_embedder(EmbeddingConfig(threads=args.threads))
    corpus = _base_corpus(embedder, args.eval_root, args.distinct)
    print(f"sizes: {args.chunks:,} points, {len(corpus.sparse):,} distinct texts", flush=True)
    workload = _workload(args)
    with tempfile.TemporaryDirectory(prefix="enclave-bench-search-") as scratch:
        footprint = [("model loaded, store empty", current_rss_mib(), 0.0)]
        store = open_store(
            StoreConfig(kind="edge", path=Path(scratch)), dimension=embedder.dimension
        )
        filled = _fill(store, corpus, args)
        points = store.count()
        footprint.append(("filled", current_rss_mib(), _directory_mib(Path(scratch))))
        print(f"filled {points:,} points in {filled.upsert_seconds:.1f} s", flush=True)
        phases = [("before optimize", _measure(store, embedder, workload, filled))]
        optimize_seconds, note = None, "skipped (--no-optimize)"
        if not args.no_optimize:
            optimize_seconds, note = _optimize(store)
            footprint.append(("optimized", current_rss_mib(), _directory_mib(Path(scratch))))
            print(f"optimize: {optimize_seconds or 0:.1f} s", flush=True)
            phases.append(("after optimize", _measure(store, embedder, workload, filled)))
        store.close()
    run = Run(
        corpus,
        filled,
        phases,
        optimize_seconds,
        note,
        _visible_share(filled, workload),
        points,
        time.perf_counter() - run_started,
        footprint,
    )
    write_report(args.out, _report(run, args, (load_start, load_average())))


if __name__ == "__main__":
    main()
