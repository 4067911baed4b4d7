"""Prometheus metrics of the web and worker processes (``prometheus_client``).

The counters and histograms are module-level and updated where the work happens
(the request middleware, ``conversation_ask``, ``search_passages``, ingestion).
With ``PROMETHEUS_MULTIPROC_DIR`` set, every process (each ``enclave serve`` and
``enclave worker``, Celery's prefork children included) writes its values to files
there and a scrape of any web process adds them up (prometheus_client's
multiprocess mode); without it, the process's own registry is what a scrape shows.
Figures read at scrape time (documents by state, replica health) come from
collectors the caller hands to ``exposition``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

# The directory must exist before prometheus_client creates its first value file.
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_VARIABLE):
    Path(os.environ[MULTIPROC_VARIABLE]).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402 (after the directory exists)
    REGISTRY,
    Counter,
    Histogram,
    Metric,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector  # noqa: E402

# ``*_created`` timestamps are noise on a dashboard and absent in multiprocess mode:
# leave them out so that one process and many scrape alike.
disable_created_metrics()

__all__ = [
    "ANSWERS_ABSTAINED",
    "CHUNKS_INDEXED",
    "CONTENT_TYPE",
    "FIRST_TOKEN_SECONDS",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_SECONDS",
    "INGESTION_FAILURES",
    "QUESTIONS",
    "RETRIEVAL_SECONDS",
    "TOKENS_PER_SECOND",
    "app_collectors",
    "exposition",
    "multiprocess_dir",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The registry our metrics live in: the process's default one, whose process and GC
# collectors a single-process scrape shows as well.
_REGISTRY = REGISTRY

HTTP_REQUESTS = Counter(
    "enclave_http_requests",
    "HTTP requests answered, by URL name (never the raw path), method and status.",
    ["route", "method", "status"],
    registry=_REGISTRY,
)
HTTP_REQUEST_SECONDS = Histogram(
    "enclave_http_request_duration_seconds",
    "Time until the response (its headers for a streamed answer), by URL name.",
    ["route", "method"],
    registry=_REGISTRY,
)
QUESTIONS = Counter(
    "enclave_questions",
    "Questions asked, by channel (web, api, v1, cli, mcp).",
    ["channel"],
    registry=_REGISTRY,
)
ANSWERS_ABSTAINED = Counter(
    "enclave_answers_abstained",
    "Answers that said the documents hold no answer (no relevant passage), by channel.",
    ["channel"],
    registry=_REGISTRY,
)
FIRST_TOKEN_SECONDS = Histogram(
    "enclave_llm_first_token_seconds",
    "Time from the prompt to the answer's first token, by model and replica.",
    ["model", "replica"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0),
    registry=_REGISTRY,
)
TOKENS_PER_SECOND = Histogram(
    "enclave_llm_tokens_per_second",
    "Decoding speed of an answer (output tokens after the first), by model and replica.",
    ["model", "replica"],
    buckets=(1, 2, 5, 10, 20, 40, 80, 160, 320, 640),
    registry=_REGISTRY,
)
RETRIEVAL_SECONDS = Histogram(
    "enclave_retrieval_duration_seconds",
    "Time of one permission-filtered search (query embedding, every arm, fusion).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=_REGISTRY,
)
INGESTION_FAILURES = Counter(
    "enclave_ingestion_failures",
    "Documents that ended failed, by reason code (e.g. parse_error, encrypted).",
    ["reason"],
    registry=_REGISTRY,
)
CHUNKS_INDEXED = Counter(
    "enclave_chunks_indexed",
    "Chunks written to the index by finished ingestions (rate: chunks per second).",
    registry=_REGISTRY,
)

# Our own collectors, in the order a scrape shows them (the dashboard test reads them).
_OURS: tuple[Collector, ...] = (
    HTTP_REQUESTS,
    HTTP_REQUEST_SECONDS,
    QUESTIONS,
    ANSWERS_ABSTAINED,
    FIRST_TOKEN_SECONDS,
    TOKENS_PER_SECOND,
    RETRIEVAL_SECONDS,
    INGESTION_FAILURES,
    CHUNKS_INDEXED,
)


def app_collectors() -> tuple[Collector, ...]:
    """The collectors of the metrics this module defines."""
    return _OURS


def multiprocess_dir() -> str | None:
    """The shared directory of multiprocess mode, or None for a single process."""
    return os.environ.get(MULTIPROC_VARIABLE) or None


class _Scrape:
    """One scrape's sources, shaped as the registry ``generate_latest`` expects."""

    def __init__(self, sources: Iterable[Collector]) -> None:
        self._sources = tuple(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self._sources:
            yield from source.collect()


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition of every process's metrics plus ``extra`` (read now)."""
    path = multiprocess_dir()
    if path is not None:
        # Every process's files added up; registry=None: built for this scrape only.
        base: Collector = multiprocess.MultiProcessCollector(None, path=path)
    else:
        base = _REGISTRY
    return generate_latest(_Scrape([base, *extra]))  # type: ignore[arg-type]
