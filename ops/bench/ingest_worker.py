"""Ingest files the way ``enclave ingest FOLDER`` does: Django, embedded broker and worker.

``configure`` must run before anything imports ``webapp`` (the settings object
is built once per process from the environment).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ops.bench.measure import current_rss_mib, peak_rss_mib, reset_peak_rss

__all__ = ["WorkerRun", "configure", "run_worker_path"]

FINISHED = ("indexed", "failed")
# As often as ``enclave ingest`` redraws its progress bars (webapp.cli.progress): a
# faster poll takes the GIL from the embedding thread more often than the command does.
POLL_S = 0.5


@dataclass
class WorkerRun:
    """What the worker pass measured."""

    seconds: float
    indexed: int
    failed: list[tuple[str, str]]
    chunks: int
    titles: dict[Path, str]
    concurrency: int
    rss_before_mib: float
    peak_rss_mib: float
    batcher_calls: int
    batcher_texts: int


def configure(
    home: Path,
    *,
    threads: int,
    concurrency: int | None,
    overlap: bool,
    backend: str = "onnx-int8",
    isolate: bool = True,
) -> None:
    """Point this process's Enclave at a scratch home with these thread counts and backend."""
    os.environ.update(
        ENCLAVE_HOME=str(home),
        ENCLAVE_EMBEDDING_BACKEND=backend,
        ENCLAVE_TORCH_THREADS=str(threads),
        ENCLAVE_SECRET_KEY="bench-secret-key-not-for-production",
        ENCLAVE_QUEUE_NAME=f"bench-{uuid.uuid4().hex[:10]}",
        ENCLAVE_INGEST_OVERLAP="true" if overlap else "false",
        ENCLAVE_PARSE_ISOLATION="true" if isolate else "false",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    for name in ("ENCLAVE_DATABASE_URL", "ENCLAVE_BROKER_URL", "ENCLAVE_QDRANT_URL"):
        os.environ.pop(name, None)
    if concurrency:
        os.environ["ENCLAVE_WORKER_CONCURRENCY"] = str(concurrency)
    else:
        os.environ.pop("ENCLAVE_WORKER_CONCURRENCY", None)


def run_worker_path(paths: Sequence[Path], *, warm_up: Sequence[str]) -> WorkerRun:
    """Queue ``paths`` into a new collection and wait until the embedded worker finished all."""
    from webapp import runtime
    from webapp.config.settings import get_settings

    runtime.setup_django()
    runtime.migrate()
    from django.db.models import Max

    from webapp.cli import support as cli_support
    from webapp.knowledge import index_engines
    from webapp.knowledge.models import Document

    index_engines.get_embedder().embed_documents(list(warm_up))  # model loaded and warm, untimed
    # So is the language detector BM25 stems by (lingua's n-gram models: about 1 s to load,
    # once per process; two worker threads that both met it cold each built one).
    index_engines.get_indexer()._sparse.detect_language(" ".join(warm_up))
    index_engines.get_store()
    embedded = runtime.EmbeddedRuntime()
    embedded.start()
    try:
        rss_before = current_rss_mib()
        is_reset = reset_peak_rss()
        started = time.time()  # wall clock: the end is the last row's heartbeat_at
        collection = cli_support.collection_get_or_create(name="Bench", group_names=("staff",))
        # One call per file (as documents_queue loops anyway) to keep path -> id.
        path_ids = [
            (path, cli_support.documents_queue(collection=collection, paths=[path])[0])
            for path in paths
        ]
        ids = list(dict.fromkeys(document_id for _, document_id in path_ids))
        while True:
            rows = cli_support.documents_progress(ids)
            if len(rows) == len(ids) and all(row["status"] in FINISHED for row in rows):
                break
            time.sleep(POLL_S)
        # When the last document finished (indexed or failed), not when the poll noticed.
        finished = Document.objects.filter(id__in=ids).aggregate(end=Max("heartbeat_at"))["end"]
        seconds = finished.timestamp() - started
        peak = peak_rss_mib() if is_reset else float("nan")
        batcher = index_engines.get_indexer()._embedder  # the process's shared batcher
        calls = getattr(batcher, "encode_calls", 0)
        texts = getattr(batcher, "encoded_texts", 0)
    finally:
        embedded.stop()
    documents = {d.id: d for d in Document.objects.filter(id__in=ids)}
    failed = [(d.title, d.error_message) for d in documents.values() if d.status == "failed"]
    return WorkerRun(
        seconds=seconds,
        indexed=sum(d.status == "indexed" for d in documents.values()),
        failed=failed,
        chunks=sum(d.chunk_count for d in documents.values() if d.status == "indexed"),
        titles={path: documents[document_id].title for path, document_id in path_ids},
        concurrency=get_settings().embedded_worker_threads(),
        rss_before_mib=rss_before,
        peak_rss_mib=peak,
        batcher_calls=calls,
        batcher_texts=texts,
    )
