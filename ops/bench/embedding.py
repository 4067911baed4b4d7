"""Embedding backends side by side: torch fp32 against ONNX int8, in one process.

Both backends encode the same SciFact chunks (the real chunker, 200 word pieces,
"title / text" as the indexer embeds them) in alternating rounds, so load from
other work on the machine falls on both alike; the ratio of the medians is the
figure to read, not the absolute chunks/s. Agreement is the cosine between the
two backends' vectors of each chunk and of each test query. Run by hand, never
by the test suite::

    .venv/bin/python -m ops.bench.embedding                 # 512 chunks, 3 rounds
    .venv/bin/python -m ops.bench.embedding --chunks 1024 --threads 2

The int8 model is exported into ``--cache-dir`` on first use (var/models).
Writes ``ops/bench/results/embedding.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ops.bench.measure import load_average
from ops.bench.report import markdown_table
from retrieval import Chunker, ChunkingConfig, EmbeddingConfig, Section, load_embedder
from retrieval.chunking import index_text
from retrieval.embedding import Embedder, embedding_identity

RESULTS = Path(__file__).resolve().parent / "results" / "embedding.md"
SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "eval" / "beir-scifact"


def scifact_chunks(dataset: Path, tokenizer: Any, limit: int) -> list[str]:
    """The first ``limit`` chunk texts of the corpus, as the indexer embeds them."""
    chunker = Chunker(ChunkingConfig(), tokenizer)
    texts: list[str] = []
    with (dataset / "corpus.jsonl").open(encoding="utf-8") as corpus:
        for line in corpus:
            doc = json.loads(line)
            section = Section(text=doc["text"], page=None, heading="")
            texts.extend(
                index_text(chunk, doc.get("title", "")) for chunk in chunker.chunk([section])
            )
            if len(texts) >= limit:
                return texts[:limit]
    return texts


def scifact_queries(dataset: Path, limit: int) -> list[str]:
    """The first ``limit`` test queries."""
    path = dataset / "queries_test.jsonl"
    if not path.is_file():
        path = dataset / "queries.jsonl"
    with path.open(encoding="utf-8") as queries:
        return [json.loads(line)["text"] for line, _ in zip(queries, range(limit), strict=False)]


def timed_round(embedder: Embedder, texts: Sequence[str]) -> tuple[float, np.ndarray]:
    """Chunks per second for one pass over ``texts``, and the vectors."""
    started = time.perf_counter()
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    return len(texts) / (time.perf_counter() - started), vectors


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two matrices of normalised vectors."""
    return np.asarray((a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


def main(argv: Sequence[str] | None = None) -> None:
    """Measure both backends and write the markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=SCIFACT)
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cache-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    common = {"threads": args.threads, "batch_size": args.batch_size, "cache_dir": args.cache_dir}
    torch_model = load_embedder(EmbeddingConfig(backend="torch", **common))
    started = time.perf_counter()
    int8_model = load_embedder(EmbeddingConfig(backend="onnx-int8", **common))
    int8_load_s = time.perf_counter() - started
    backends = {"torch fp32": torch_model, "onnx int8": int8_model}
    texts = scifact_chunks(args.dataset, torch_model.tokenizer, args.chunks)
    queries = scifact_queries(args.dataset, args.queries)

    for embedder in backends.values():  # warm-up: first-batch allocations, lazy init
        embedder.embed_documents(texts[: args.batch_size])
    speeds: dict[str, list[float]] = {name: [] for name in backends}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, embedder in backends.items():
            speed, vectors[name] = timed_round(embedder, texts)
            speeds[name].append(speed)
            print(f"{name}: {speed:.1f} chunks/s", flush=True)
    chunk_cos = cosines(vectors["torch fp32"], vectors["onnx int8"])
    query_cos = cosines(
        np.asarray([torch_model.embed_query(q) for q in queries]),
        np.asarray([int8_model.embed_query(q) for q in queries]),
    )
    report = render(args, backends, speeds, chunk_cos, query_cos, int8_load_s, len(texts))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


def render(
    args: argparse.Namespace,
    backends: dict[str, Embedder],
    speeds: dict[str, list[float]],
    chunk_cos: np.ndarray,
    query_cos: np.ndarray,
    int8_load_s: float,
    chunk_count: int,
) -> str:
    """The markdown report."""
    base = statistics.median(speeds["torch fp32"])
    rows = [
        [
            f"{name} (`{embedding_identity(backends[name])}`)",
            statistics.median(values),
            min(values),
            max(values),
            statistics.median(values) / base,
        ]
        for name, values in speeds.items()
    ]
    agreement = [
        [label, float(values.mean()), float(np.percentile(values, 1)), float(values.min())]
        for label, values in (
            (f"{chunk_count} chunks", chunk_cos),
            (f"{len(query_cos)} queries", query_cos),
        )
    ]
    return "\n".join(
        [
            "# Embedding backends: torch fp32 vs ONNX int8",
            "",
            f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; `python -m ops.bench.embedding --chunks "
            f"{args.chunks} --rounds {args.rounds} --threads {args.threads}`. "
            f"{chunk_count} SciFact chunks (up to 200 word pieces, embedded as 'title / text'), "
            f"batch size {args.batch_size}, {args.threads} threads; the two backends "
            f"alternate for {args.rounds} rounds in one process. Load average at the end: "
            f"{load_average()} (other work shares the machine: read the ratio).",
            "",
            markdown_table(
                ["backend", "chunks/s median", "min", "max", "ratio to torch"],
                rows,
                digits=2,
            ),
            "",
            "Cosine between the two backends' vectors of the same text:",
            "",
            markdown_table(["texts", "mean", "1st percentile", "min"], agreement, digits=4),
            "",
            f"Loading the int8 model took {int8_load_s:.1f} s in this run (export included "
            "when the cache directory was empty).",
            "",
        ]
    )


if __name__ == "__main__":
    main()
