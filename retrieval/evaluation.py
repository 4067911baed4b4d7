"""Retrieval evaluation through the real ingestion and search path.

The corpus (see retrieval.eval_data) is written out as one text file per
document, or read from its own files, and indexed by the real ``Indexer``
(parse, chunk, embed, BM25, upsert) into a scratch Qdrant Edge store; every
query runs through ``Searcher.run`` in each mode. Chunk hits roll up to
documents by their best chunk (max over chunks, as MTEB scores whole
documents), then nDCG@10, recall@1/3/5/10/100 and MRR@10 are computed against
the qrels. Latency is query encoding + the Qdrant query; reranking is timed apart.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.config import ChunkingConfig, SearchConfig
from retrieval.embedding import Embedder
from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.eval_data import EvalSet, load_beir
from retrieval.models import DocumentMeta, Passage
from retrieval.pipeline import Indexer
from retrieval.rerank import Reranker
from retrieval.search import Searcher
from retrieval.sparse import SparseEncoder
from retrieval.store.base import OptimizableStore, VectorStore

__all__ = [
    "CachingEmbedder",
    "EvalSet",
    "EvaluationReport",
    "ModeResult",
    "QueryOutcome",
    "documents_ranked",
    "evaluate",
    "index_corpus",
    "load_beir",
    "mrr_at_k",
    "ndcg_at_k",
    "rank_of_relevant",
    "recall_at_k",
]

logger = logging.getLogger(__name__)

MODES = ("dense", "bm25", "hybrid", "hybrid+rerank")
# Chunks fetched per query: enough to rank 100 documents (SciFact: 2.2 chunks each).
EVAL_CHUNKS = 300
GROUP = 1  # every evaluation document is readable by this one group
COLLECTION = 1


# --- metrics ---------------------------------------------------------------


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains (rel / log2(rank + 1)), as pytrec_eval computes it for BEIR."""
    gains = [relevant.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains) if g > 0)
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top k (0 when none)."""
    for rank, doc in enumerate(ranked[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def rank_of_relevant(ranked: Sequence[str], relevant: Mapping[str, int]) -> int | None:
    """1-based rank of the first relevant document (None when it was not found)."""
    for rank, doc in enumerate(ranked, start=1):
        if relevant.get(doc, 0) > 0:
            return rank
    return None


def documents_ranked(passages: Iterable[Passage], names: Mapping[int, str]) -> list[str]:
    """Document names by their best chunk: a document's score is the max over its chunks."""
    seen: dict[str, None] = {}
    for passage in passages:  # best first, so first sight = best chunk
        seen.setdefault(names[passage.document_id], None)
    return list(seen)


# --- ingestion -----------------------------------------------------------------


class CachingEmbedder:
    """An Embedder that remembers passage vectors by text (optionally in a .npz file).

    Lets repeated evaluation runs (tuning BM25 or fusion) skip re-embedding the
    same chunks; the texts still go through the real chunker and indexer.
    """

    def __init__(
        self, embedder: Embedder, path: Path | None = None, *, cache_queries: bool = False
    ) -> None:
        self._inner = embedder
        self._path = path
        # Off by default so measured query latency includes the real encoding.
        self._cache_queries = cache_queries
        self.dimension = embedder.dimension
        self.model_name = embedder.model_name
        self.tokenizer = embedder.tokenizer
        self.languages = getattr(embedder, "languages", None)
        self.batch_size = getattr(embedder, "batch_size", 32)
        self._vectors: dict[str, list[float]] = {}
        if path is not None and path.is_file():
            import numpy as np

            with np.load(path) as stored:
                for key, row in zip(stored["keys"].tolist(), stored["vectors"], strict=True):
                    self._vectors[str(key)] = row.tolist()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed the texts not seen before; return every vector."""
        keys = [_key("d", text) for text in texts]
        missing = [text for key, text in zip(keys, texts, strict=True) if key not in self._vectors]
        if missing:
            for text, vector in zip(missing, self._inner.embed_documents(missing), strict=True):
                self._vectors[_key("d", text)] = vector
        return [self._vectors[key] for key in keys]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (once, when queries are cached)."""
        if not self._cache_queries:
            return self._inner.embed_query(text)
        key = _key("q", text)
        if key not in self._vectors:
            self._vectors[key] = self._inner.embed_query(text)
        return self._vectors[key]

    def save(self) -> None:
        """Write the vectors to the .npz file, if one was given."""
        if self._path is None:
            return
        import numpy as np

        keys = list(self._vectors)
        vectors = np.asarray([self._vectors[key] for key in keys], dtype=np.float32)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(self._path, keys=np.asarray(keys), vectors=vectors)


def _key(kind: str, text: str) -> str:
    return kind + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def index_corpus(
    dataset: EvalSet,
    indexer: Indexer,
    *,
    workdir: Path,
    on_document: Callable[[int, int], None] | None = None,
) -> dict[int, str]:
    """Index every document (texts and files) through ``indexer``; our document id -> its id."""
    names: dict[int, str] = {}
    scratch = workdir / "documents"
    scratch.mkdir(parents=True, exist_ok=True)
    total = len(dataset.corpus) + len(dataset.files)
    sources = [(name, title, text, None) for name, (title, text) in dataset.corpus.items()]
    sources += [(name, "", "", path) for name, path in dataset.files.items()]
    for number, (name, title, text, source) in enumerate(sources, start=1):
        path = source
        if path is None:
            path = scratch / f"{number}.txt"
            path.write_text(text if text.strip() else title, encoding="utf-8")
        meta = DocumentMeta(
            document_id=number,
            collection_id=COLLECTION,
            group_ids=(GROUP,),
            title=title or Path(name).stem.replace("-", " "),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        try:
            indexer.index_file(path, meta=meta)
        except (EmptyDocumentError, ParseError) as exc:
            logger.warning("evaluation document skipped id=%s: %s", name, exc)
            continue
        finally:
            if source is None:
                path.unlink()
        names[number] = name
        if on_document is not None:
            on_document(number, total)
    return names


# --- evaluation ------------------------------------------------------------------


@dataclass
class ModeResult:
    """Mean metrics and latencies of one search mode over the queries."""

    mode: str
    ndcg10: float = 0.0
    recall1: float = 0.0
    recall3: float = 0.0
    recall5: float = 0.0
    recall10: float = 0.0
    recall100: float = 0.0
    mrr10: float = 0.0
    latency_ms: list[float] = field(default_factory=list)
    rerank_ms: list[float] = field(default_factory=list)
    per_query_ndcg10: dict[str, float] = field(default_factory=dict)

    def add(self, ranked: Sequence[str], relevant: Mapping[str, int]) -> None:
        """Add one query's ranking to the sums (``finish`` turns them into means)."""
        self.recall1 += recall_at_k(ranked, relevant, 1)
        self.recall3 += recall_at_k(ranked, relevant, 3)
        self.recall5 += recall_at_k(ranked, relevant, 5)
        self.recall10 += recall_at_k(ranked, relevant, 10)
        self.recall100 += recall_at_k(ranked, relevant, 100)
        self.mrr10 += mrr_at_k(ranked, relevant, 10)

    def finish(self, count: int) -> None:
        """Divide the sums by the number of queries."""
        count = max(1, count)
        self.ndcg10 = sum(self.per_query_ndcg10.values()) / count
        for name in ("recall1", "recall3", "recall5", "recall10", "recall100", "mrr10"):
            setattr(self, name, getattr(self, name) / count)


@dataclass(frozen=True)
class QueryOutcome:
    """One query in one mode: where the relevant document came, and the top documents."""

    query_id: str
    language: str | None
    mode: str
    rank: int | None
    top: tuple[str, ...]


@dataclass
class EvaluationReport:
    """Everything one harness run measured, renderable as markdown."""

    results: list[ModeResult]
    documents: int
    chunks: int
    queries: int
    split: str
    search: SearchConfig
    index_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    outcomes: list[QueryOutcome] = field(default_factory=list)

    def table(self) -> str:
        """The results as a markdown table."""
        header = (
            "| mode | nDCG@10 | recall@1 | recall@3 | recall@5 | recall@10 | recall@100 "
            "| MRR@10 | latency p50 ms | latency p95 ms | rerank p50 ms | rerank p95 ms |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|"
        )
        rows = [header]
        for r in self.results:
            rerank = (
                (f"{_percentile(r.rerank_ms, 50):.1f}", f"{_percentile(r.rerank_ms, 95):.1f}")
                if r.rerank_ms
                else ("–", "–")
            )
            rows.append(
                f"| {r.mode} | {r.ndcg10:.4f} | {r.recall1:.4f} | {r.recall3:.4f} "
                f"| {r.recall5:.4f} | {r.recall10:.4f} | {r.recall100:.4f} "
                f"| {r.mrr10:.4f} | {_percentile(r.latency_ms, 50):.1f} "
                f"| {_percentile(r.latency_ms, 95):.1f} | {rerank[0]} | {rerank[1]} |"
            )
        return "\n".join(rows)

    def markdown(self) -> str:
        """Table plus what was measured."""
        s = self.search
        lines = [
            self.table(),
            "",
            f"Split `{self.split}`: {self.queries} queries over {self.documents} documents "
            f"({self.chunks} chunks, indexed in {self.index_seconds:.0f} s). Hybrid: "
            f"{s.fusion} fusion, dense weight {s.dense_weight:g}, BM25 weight "
            f"{s.sparse_weight:g}, RRF k {s.rrf_k}, {s.candidates} candidates per arm. "
            "Documents ranked by their best chunk. Latency = query encoding (dense + BM25) "
            "+ the Qdrant query, one query at a time; reranking timed separately.",
        ]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)

    def per_query_lines(self) -> list[str]:
        """One JSON line per query: id, language, relevant document's rank and top ids per mode."""
        rows: dict[str, dict[str, object]] = {}
        for o in self.outcomes:
            row = rows.setdefault(
                o.query_id, {"id": o.query_id, "language": o.language, "rank": {}, "top": {}}
            )
            row["rank"][o.mode] = o.rank  # type: ignore[index]
            row["top"][o.mode] = list(o.top)  # type: ignore[index]
        return [json.dumps(row, ensure_ascii=False) for row in rows.values()]


def evaluate(
    dataset: EvalSet,
    searcher: Searcher,
    names: Mapping[int, str],
    *,
    search: SearchConfig,
    modes: Sequence[str] = MODES,
    reranker: Reranker | None = None,
    chunks: int = EVAL_CHUNKS,
    outcomes: list[QueryOutcome] | None = None,
) -> list[ModeResult]:
    """Run every judged query in each mode and average the metrics (rerank needs a reranker).

    Each query fetches ``chunks`` chunks. Hybrid fuses ``search.candidates`` per
    arm as in production, so its recall@100 is bounded by what the two arms hand
    over; the single-arm modes simply return ``chunks``. ``outcomes``, when
    given, receives one QueryOutcome per query and mode.
    """
    results = []
    judged = {q: text for q, text in dataset.queries.items() if dataset.qrels.get(q)}
    for mode in modes:
        if mode == "hybrid+rerank" and reranker is None:
            continue
        arm = {"dense": "dense", "bm25": "sparse"}.get(mode, "hybrid")
        config = dataclasses.replace(search, mode=arm)  # type: ignore[arg-type]
        result = ModeResult(mode=mode)
        for qid, query in judged.items():
            run = searcher.run(
                query,
                allowed_group_ids=[GROUP],
                limit=chunks,
                config=config,
                rerank=mode == "hybrid+rerank",
                shape=False,
            )
            ranked = documents_ranked(run.passages, names)
            relevant = dataset.qrels[qid]
            result.per_query_ndcg10[qid] = ndcg_at_k(ranked, relevant, 10)
            result.add(ranked, relevant)
            result.latency_ms.append(run.timings_ms["embed"] + run.timings_ms["store"])
            if "rerank" in run.timings_ms:
                result.rerank_ms.append(run.timings_ms["rerank"])
            if outcomes is not None:
                language = dataset.languages.get(qid) or run.language
                rank = rank_of_relevant(ranked, relevant)
                outcomes.append(QueryOutcome(qid, language, mode, rank, tuple(ranked[:10])))
        result.finish(len(judged))
        results.append(result)
        logger.info("evaluated mode=%s ndcg10=%.4f", mode, result.ndcg10)
    return results


def run_evaluation(
    dataset: EvalSet,
    *,
    embedder: Embedder,
    chunking: ChunkingConfig = ChunkingConfig(),  # noqa: B008 - frozen
    sparse: SparseEncoder | None = None,
    search: SearchConfig = SearchConfig(),  # noqa: B008 - frozen
    reranker: Reranker | None = None,
    workdir: Path | None = None,
    on_document: Callable[[int, int], None] | None = None,
    modes: Sequence[str] = MODES,
) -> EvaluationReport:
    """Index ``dataset`` into a scratch Qdrant Edge store and evaluate ``modes``."""
    from retrieval.store.edge import EdgeStore

    sparse = sparse or SparseEncoder()
    with tempfile.TemporaryDirectory(prefix="enclave-eval-", dir=workdir) as scratch:
        store: VectorStore = EdgeStore(Path(scratch) / "edge", dimension=embedder.dimension)
        try:
            indexer = Indexer(store=store, embedder=embedder, chunking=chunking, sparse=sparse)
            started = time.perf_counter()
            names = index_corpus(dataset, indexer, workdir=Path(scratch), on_document=on_document)
            index_seconds = time.perf_counter() - started
            if isinstance(store, OptimizableStore):
                store.optimize()
            searcher = Searcher(
                store=store, embedder=embedder, config=search, sparse=sparse, reranker=reranker
            )
            outcomes: list[QueryOutcome] = []
            results = evaluate(
                dataset,
                searcher,
                names,
                search=search,
                modes=modes,
                reranker=reranker,
                outcomes=outcomes,
            )
            chunks = store.count()
        finally:
            store.close()
    notes = []
    if "hybrid+rerank" in modes and reranker is None:
        notes.append("hybrid+rerank: no reranker configured, not run.")
    load = os.getloadavg()
    notes.append(
        f"Load average after the run (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}."
    )
    return EvaluationReport(
        results=results,
        documents=len(names),
        chunks=chunks,
        queries=sum(1 for q in dataset.queries if dataset.qrels.get(q)),
        split=dataset.split,
        search=search,
        index_seconds=index_seconds,
        notes=notes,
        outcomes=outcomes,
    )


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
