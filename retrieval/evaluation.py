"""Retrieval evaluation on BEIR-format data through the real ingestion and search path.

The corpus is written out as one text file per document and indexed by the
real ``Indexer`` (parse, chunk, embed, BM25, upsert) into a scratch Qdrant Edge
store; every query runs through ``Searcher.run`` in each mode. Chunk hits roll
up to documents by their best chunk (max over chunks, as MTEB scores whole
documents), then nDCG@10, recall@10/100 and MRR@10 are computed against the
qrels. Latency is query encoding + the Qdrant query; reranking is timed apart.
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
from retrieval.errors import EmptyDocumentError
from retrieval.models import DocumentMeta, Passage
from retrieval.pipeline import Indexer
from retrieval.rerank import Reranker
from retrieval.search import Searcher
from retrieval.sparse import SparseEncoder
from retrieval.store.base import VectorStore

__all__ = [
    "BeirDataset",
    "CachingEmbedder",
    "EvaluationReport",
    "ModeResult",
    "documents_ranked",
    "evaluate",
    "index_corpus",
    "load_beir",
    "mrr_at_k",
    "ndcg_at_k",
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


def documents_ranked(passages: Iterable[Passage], names: Mapping[int, str]) -> list[str]:
    """Document names by their best chunk: a document's score is the max over its chunks."""
    seen: dict[str, None] = {}
    for passage in passages:  # best first, so first sight = best chunk
        seen.setdefault(names[passage.document_id], None)
    return list(seen)


# --- data --------------------------------------------------------------------


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR dataset (or a subset): documents, queries with judgements, the split used."""

    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    split: str


def load_beir(
    directory: Path,
    *,
    split: str = "test",
    limit_docs: int | None = None,
    limit_queries: int | None = None,
) -> BeirDataset:
    """Read corpus.jsonl, queries*.jsonl and qrels/<split>.tsv; subsets keep judged documents.

    ``limit_queries`` keeps the first N judged queries (file order); ``limit_docs``
    keeps every document judged for those queries, then fills up in corpus order.
    """
    qrels = _read_qrels(directory / "qrels" / f"{split}.tsv")
    queries: dict[str, str] = {}
    for path in sorted(directory.glob("queries*.jsonl")):
        for row in _jsonl(path):
            if str(row["_id"]) in qrels:
                queries.setdefault(str(row["_id"]), str(row["text"]))
    if limit_queries is not None:
        queries = dict(list(queries.items())[:limit_queries])
    qrels = {qid: qrels[qid] for qid in queries}
    corpus = {
        str(row["_id"]): (str(row.get("title") or ""), str(row.get("text") or ""))
        for row in _jsonl(directory / "corpus.jsonl")
    }
    if limit_docs is not None:
        judged = [doc for judged in qrels.values() for doc in judged if doc in corpus]
        keep = list(dict.fromkeys(judged))[:limit_docs]
        keep += [doc for doc in corpus if doc not in set(keep)][: max(0, limit_docs - len(keep))]
        corpus = {doc: corpus[doc] for doc in keep}
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels, split=split)


def _jsonl(path: Path) -> Iterable[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as rows:
        for number, row in enumerate(rows):
            parts = row.rstrip("\n").split("\t")
            if len(parts) < 3 or (number == 0 and not parts[2].lstrip("-").isdigit()):
                continue  # header or blank line
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


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
    dataset: BeirDataset,
    indexer: Indexer,
    *,
    workdir: Path,
    on_document: Callable[[int, int], None] | None = None,
) -> dict[int, str]:
    """Index every document through ``indexer``; returns our document id -> BEIR id."""
    names: dict[int, str] = {}
    files = workdir / "documents"
    files.mkdir(parents=True, exist_ok=True)
    total = len(dataset.corpus)
    for number, (name, (title, text)) in enumerate(dataset.corpus.items(), start=1):
        path = files / f"{number}.txt"
        path.write_text(text if text.strip() else title, encoding="utf-8")
        meta = DocumentMeta(
            document_id=number,
            collection_id=COLLECTION,
            group_ids=(GROUP,),
            title=title,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        try:
            indexer.index_file(path, meta=meta)
        except EmptyDocumentError:
            logger.warning("evaluation document skipped (empty) id=%s", name)
            continue
        finally:
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
    recall10: float = 0.0
    recall100: float = 0.0
    mrr10: float = 0.0
    latency_ms: list[float] = field(default_factory=list)
    rerank_ms: list[float] = field(default_factory=list)
    per_query_ndcg10: dict[str, float] = field(default_factory=dict)


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

    def table(self) -> str:
        """The results as a markdown table."""
        header = (
            "| mode | nDCG@10 | recall@10 | recall@100 | MRR@10 | latency p50 ms "
            "| latency p95 ms | rerank p50 ms | rerank p95 ms |\n"
            "|---|---|---|---|---|---|---|---|---|"
        )
        rows = [header]
        for r in self.results:
            rerank = (
                (f"{_percentile(r.rerank_ms, 50):.1f}", f"{_percentile(r.rerank_ms, 95):.1f}")
                if r.rerank_ms
                else ("–", "–")
            )
            rows.append(
                f"| {r.mode} | {r.ndcg10:.4f} | {r.recall10:.4f} | {r.recall100:.4f} "
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
            f"({self.chunks} chunks, indexed in {self.index_seconds:.0f} s). Hybrid: weighted "
            f"RRF, dense weight {s.dense_weight:g}, BM25 weight {s.sparse_weight:g}, k "
            f"{s.rrf_k}, {s.candidates} candidates per arm. Documents "
            "ranked by their best chunk. Latency = query encoding (dense + BM25) + the "
            "Qdrant query, one query at a time; reranking timed separately.",
        ]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


def evaluate(
    dataset: BeirDataset,
    searcher: Searcher,
    names: Mapping[int, str],
    *,
    search: SearchConfig,
    modes: Sequence[str] = MODES,
    reranker: Reranker | None = None,
    chunks: int = EVAL_CHUNKS,
) -> list[ModeResult]:
    """Run every query in each mode and average the metrics (rerank modes need a reranker).

    Each query fetches ``chunks`` chunks. Hybrid fuses ``search.candidates`` per
    arm as in production, so its recall@100 is bounded by what the two arms hand
    over; the single-arm modes simply return ``chunks``.
    """
    results = []
    base = search
    for mode in modes:
        if mode == "hybrid+rerank" and reranker is None:
            continue
        arm = {"dense": "dense", "bm25": "sparse"}.get(mode, "hybrid")
        config = dataclasses.replace(base, mode=arm)  # type: ignore[arg-type]
        result = ModeResult(mode=mode)
        for qid, query in dataset.queries.items():
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
            result.recall10 += recall_at_k(ranked, relevant, 10)
            result.recall100 += recall_at_k(ranked, relevant, 100)
            result.mrr10 += mrr_at_k(ranked, relevant, 10)
            result.latency_ms.append(run.timings_ms["embed"] + run.timings_ms["store"])
            if "rerank" in run.timings_ms:
                result.rerank_ms.append(run.timings_ms["rerank"])
        count = max(1, len(dataset.queries))
        result.ndcg10 = sum(result.per_query_ndcg10.values()) / count
        result.recall10 /= count
        result.recall100 /= count
        result.mrr10 /= count
        results.append(result)
        logger.info("evaluated mode=%s ndcg10=%.4f", mode, result.ndcg10)
    return results


def run_evaluation(
    dataset: BeirDataset,
    *,
    embedder: Embedder,
    chunking: ChunkingConfig = ChunkingConfig(),  # noqa: B008 - frozen
    sparse: SparseEncoder | None = None,
    search: SearchConfig = SearchConfig(),  # noqa: B008 - frozen
    reranker: Reranker | None = None,
    workdir: Path | None = None,
    on_document: Callable[[int, int], None] | None = None,
) -> EvaluationReport:
    """Index ``dataset`` into a scratch Qdrant Edge store and evaluate every mode."""
    from retrieval.store.edge import EdgeStore

    sparse = sparse or SparseEncoder()
    with tempfile.TemporaryDirectory(prefix="enclave-eval-", dir=workdir) as scratch:
        store: VectorStore = EdgeStore(Path(scratch) / "edge", dimension=embedder.dimension)
        try:
            indexer = Indexer(store=store, embedder=embedder, chunking=chunking, sparse=sparse)
            started = time.perf_counter()
            names = index_corpus(dataset, indexer, workdir=Path(scratch), on_document=on_document)
            index_seconds = time.perf_counter() - started
            store.optimize()  # type: ignore[attr-defined]
            searcher = Searcher(
                store=store, embedder=embedder, config=search, sparse=sparse, reranker=reranker
            )
            results = evaluate(dataset, searcher, names, search=search, reranker=reranker)
            chunks = store.count()
        finally:
            store.close()
    notes = [] if reranker is not None else ["hybrid+rerank: no reranker configured, not run."]
    load = os.getloadavg()
    notes.append(
        f"Load average after the run (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}."
    )
    return EvaluationReport(
        results=results,
        documents=len(names),
        chunks=chunks,
        queries=len(dataset.queries),
        split=dataset.split,
        search=search,
        index_seconds=index_seconds,
        notes=notes,
    )


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
