"""Tune the fusion for Portuguese queries on FaQuAD *train* (never on tests/fixtures/pt).

    python -m ops.bench.eval_pt_tune [--faquad ../shared/eval/pt-faquad/train.json]

Each FaQuAD paragraph is one document (title = its article); each question's
relevant document is its paragraph. The corpus goes through the real Indexer
into a scratch Qdrant Edge store (embeddings cached under var/), then every
question runs in dense, BM25 and hybrid mode over a grid of RRF k and weights.
The packaged MiniLM is English-only, so the grid's dense weight is the
``uncovered_dense_weight`` the searcher uses for Portuguese queries.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from retrieval import EmbeddingConfig, SearchConfig, SparseEncoder, load_embedder
from retrieval.evaluation import BeirDataset, CachingEmbedder, evaluate, index_corpus
from retrieval.pipeline import Indexer
from retrieval.search import Searcher
from retrieval.store.edge import EdgeStore

__all__ = ["faquad_dataset", "main"]


def faquad_dataset(path: Path) -> BeirDataset:
    """FaQuAD (SQuAD JSON) as a BEIR dataset: paragraphs are documents."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    corpus: dict[str, tuple[str, str]] = {}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for article in data:
        title = str(article.get("title", "")).replace("_", " ").lower()
        for number, paragraph in enumerate(article["paragraphs"]):
            doc = f"{title}#{number}"
            corpus[doc] = (title, paragraph["context"])
            for qa in paragraph["qas"]:
                queries[qa["id"]] = qa["question"]
                qrels[qa["id"]] = {doc: 1}
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels, split=path.stem)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.eval_pt_tune", description=__doc__)
    parser.add_argument("--faquad", type=Path, default=Path("../shared/eval/pt-faquad/train.json"))
    parser.add_argument("--cache", type=Path, default=Path("var/eval-tune/faquad-embeddings.npz"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    dataset = faquad_dataset(args.faquad)
    embedder = CachingEmbedder(
        load_embedder(EmbeddingConfig(threads=args.threads)), args.cache, cache_queries=True
    )
    sparse = SparseEncoder()
    with tempfile.TemporaryDirectory(prefix="enclave-pt-tune-") as scratch:
        store = EdgeStore(Path(scratch) / "edge", dimension=embedder.dimension)
        names = index_corpus(
            dataset, Indexer(store=store, embedder=embedder, sparse=sparse), workdir=Path(scratch)
        )
        embedder.save()
        searcher = Searcher(store=store, embedder=embedder, sparse=sparse)
        print(f"{len(names)} paragraphs, {store.count()} chunks, {len(dataset.queries)} questions")
        for r in evaluate(dataset, searcher, names, search=SearchConfig(), modes=("dense", "bm25")):
            print(f"  {r.mode:8} ndcg10={r.ndcg10:.4f} mrr10={r.mrr10:.4f} r10={r.recall10:.4f}")
        embedder.save()
        grid = itertools.product((1, 2, 5, 10, 20, 60), (0.05, 0.1, 0.2, 0.5, 1.0), (1.0, 2.0))
        for k, dense_w, sparse_w in grid:
            # The searcher swaps dense_weight for uncovered_dense_weight on Portuguese.
            config = SearchConfig(
                rrf_k=k, uncovered_dense_weight=dense_w, sparse_weight=sparse_w, candidates=40
            )
            (r,) = evaluate(dataset, searcher, names, search=config, modes=("hybrid",), chunks=40)
            print(
                f"  hybrid k={k} dense_w={dense_w} sparse_w={sparse_w} "
                f"ndcg10={r.ndcg10:.4f} mrr10={r.mrr10:.4f} r10={r.recall10:.4f}",
                flush=True,
            )
        store.close()


if __name__ == "__main__":
    main()
