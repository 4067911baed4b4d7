"""Tune hybrid search on a BEIR dataset's *train* queries (never the test queries).

    python -m ops.bench.eval_tune ingest --dataset ../shared/eval/beir-scifact --work var/eval-tune
    python -m ops.bench.eval_tune grid --work var/eval-tune [--split train]

``ingest`` indexes the whole corpus once through the real Indexer into a Qdrant
Edge directory under ``--work`` and keeps the embeddings in a cache file, so a
BM25 variant (``--bm25-k``, ``--bm25-b``, ``--bm25-avg-len``, ``--no-prefix``)
re-ingests in a minute without re-embedding. ``grid`` evaluates the fusion
settings (weights, RRF k, candidates) on that store and prints one line each.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from retrieval import ChunkingConfig, EmbeddingConfig, SearchConfig, SparseConfig, load_embedder
from retrieval.evaluation import CachingEmbedder, evaluate, index_corpus, load_beir
from retrieval.pipeline import Indexer
from retrieval.search import Searcher
from retrieval.sparse import SparseEncoder
from retrieval.store.edge import EdgeStore

__all__ = ["main"]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.eval_tune", description=__doc__)
    parser.add_argument("action", choices=["ingest", "grid"])
    parser.add_argument("--dataset", type=Path, default=Path("../shared/eval/beir-scifact"))
    parser.add_argument("--work", type=Path, default=Path("var/eval-tune"))
    parser.add_argument("--name", default="default", help="store variant name under --work")
    parser.add_argument("--split", default="train")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bm25-k", type=float, default=SparseConfig.k)
    parser.add_argument("--bm25-b", type=float, default=SparseConfig.b)
    parser.add_argument("--bm25-avg-len", type=float, default=SparseConfig.avg_len)
    parser.add_argument("--no-prefix", action="store_true", help="embed bare chunks")
    parser.add_argument("--sparse-weights", default="0.5,1,2", help="grid: BM25 arm weights")
    parser.add_argument("--rrf-ks", default="2,5,10,20,60", help="grid: RRF k values")
    parser.add_argument("--candidates", default="100,300", help="grid: candidates per arm")
    return parser.parse_args(argv)


def _sparse(args: argparse.Namespace) -> SparseConfig:
    return SparseConfig(k=args.bm25_k, b=args.bm25_b, avg_len=args.bm25_avg_len)


def ingest(args: argparse.Namespace) -> None:
    """Index the whole corpus into --work/<name> with cached embeddings."""
    embedder = CachingEmbedder(
        load_embedder(EmbeddingConfig(threads=args.threads)),
        args.work / "embeddings.npz",
        cache_queries=True,
    )
    dataset = load_beir(args.dataset, split=args.split)
    target = args.work / args.name
    shutil.rmtree(target, ignore_errors=True)
    store = EdgeStore(target / "edge", dimension=embedder.dimension)
    sparse = SparseEncoder(_sparse(args))
    indexer = Indexer(
        store=store,
        embedder=embedder,
        chunking=ChunkingConfig(context_prefix=not args.no_prefix),
        sparse=sparse,
    )
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 500 == 0:
            print(f"{done}/{total} docs {time.perf_counter() - started:.0f} s", flush=True)
            embedder.save()

    names = index_corpus(dataset, indexer, workdir=target, on_document=progress)
    embedder.save()
    store.optimize()
    print(f"indexed {len(names)} docs, {store.count()} chunks", flush=True)
    store.close()
    meta = {"names": names, "sparse": dataclasses.asdict(_sparse(args))}
    (target / "names.json").write_text(json.dumps(meta))


def grid(args: argparse.Namespace) -> None:
    """Evaluate fusion settings on an ingested store; one line per setting."""
    target = args.work / args.name
    meta = json.loads((target / "names.json").read_text())
    names = {int(k): v for k, v in meta["names"].items()}
    embedder = CachingEmbedder(
        load_embedder(EmbeddingConfig(threads=args.threads)),
        args.work / "embeddings.npz",
        cache_queries=True,
    )
    dataset = load_beir(args.dataset, split=args.split)
    store = EdgeStore(target / "edge", dimension=embedder.dimension)
    sparse = SparseEncoder(SparseConfig(**meta["sparse"]))
    searcher = Searcher(store=store, embedder=embedder, sparse=sparse)
    print(f"{args.name} split={args.split} queries={len(dataset.queries)} sparse={meta['sparse']}")
    for result in evaluate(
        dataset, searcher, names, search=SearchConfig(), modes=("dense", "bm25")
    ):
        print(f"  {result.mode:8} ndcg10={result.ndcg10:.4f} r100={result.recall100:.4f}")
    # Qdrant's weighted RRF scores 1 / (rank / weight + k - 1): a weight stretches
    # its arm's ranks and a large k flattens both arms, so k and weights go together.
    settings = itertools.product(
        (1.0,), _floats(args.sparse_weights), _ints(args.rrf_ks), _ints(args.candidates)
    )
    for dense_w, sparse_w, k, candidates in settings:
        config = SearchConfig(
            dense_weight=dense_w, sparse_weight=sparse_w, rrf_k=k, candidates=candidates
        )
        # Fetch exactly `candidates` chunks so the arms hand over that many.
        (result,) = evaluate(
            dataset, searcher, names, search=config, modes=("hybrid",), chunks=candidates
        )
        print(
            f"  hybrid w={dense_w}/{sparse_w} k={k} cand={candidates} "
            f"ndcg10={result.ndcg10:.4f} r100={result.recall100:.4f}",
            flush=True,
        )
    embedder.save()
    store.close()


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    ingest(args) if args.action == "ingest" else grid(args)


if __name__ == "__main__":
    main()
