"""``enclave doctor``: one line per part, with a clear reason when it fails."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from webapp.config.settings import get_settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _database() -> str:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pending = MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )
    vendor = connection.vendor
    if pending:
        raise RuntimeError(
            f"{vendor} reachable, but {len(pending)} migrations are pending "
            "(run 'enclave serve' or 'enclave manage migrate')"
        )
    return f"{vendor} reachable, schema up to date"


def _broker() -> str:
    from worker.celery_app import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=5)
    return f"{app.conf.broker_url.split('://')[0]} broker reachable"


def _vector_store() -> str:
    from webapp import runtime
    from webapp.knowledge.index_engines import get_store

    settings = get_settings()
    if settings.embedded and runtime.serve_is_running():
        return "Qdrant Edge is open in the running 'enclave serve' (owned by that process)"
    points = get_store().count()
    kind = (
        "Qdrant server at " + str(settings.store.url)
        if settings.store.url
        else "Qdrant Edge (embedded)"
    )
    return f"{kind}: {points} chunks"


def _search_index() -> str:
    from webapp.knowledge.indexes import (
        configured_model,
        model_label,
        search_index_active,
        search_index_building,
    )

    active = search_index_active()
    if active is None:
        return "no index recorded yet (the first search or upload creates it)"
    line = f"active {active.name}, built with {model_label(active)} ({active.dimension} dims)"
    if skipped := active.skips.count():
        line += f"; {skipped} documents could not be written to it when built (marked failed)"
    building = search_index_building()
    if building is not None:
        line += (
            f"; rebuild in progress: {building.name} with {model_label(building)} "
            f"({building.dimension} dims), "
            f"{building.documents_done}/{building.documents_total} documents"
        )
        if skipped := building.skips.count():
            line += f", {skipped} could not be written (to be marked failed at the switch)"
    elif (active.model_dir, active.backend) != configured_model():
        line += (
            "; the configured model differs: the next 'enclave serve' rebuilds with it "
            "(or run 'enclave reindex --all --model MODEL')"
        )
    return line


def _embedding_model() -> str:
    from retrieval import embedding_identity
    from webapp.knowledge.index_engines import get_embedder

    started = time.perf_counter()
    embedder = get_embedder()
    vector = embedder.embed_query("health check")
    elapsed = (time.perf_counter() - started) * 1000
    return (
        f"{embedding_identity(embedder)}: {len(vector)} dimensions, "
        f"loaded and encoded in {elapsed:.0f} ms (offline)"
    )


def _llm() -> str:
    config = get_settings().inference_config()
    if not config.endpoints:
        return "no LLM endpoints: answers are extractive (set ENCLAVE_LLM_ENDPOINTS for vLLM)"
    lines = []
    down = 0
    for endpoint in config.endpoints:
        base = endpoint.base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        try:
            response = httpx.get(
                f"{base}/models", headers=headers, timeout=config.connect_timeout_s + 2
            )
            response.raise_for_status()
            served = [m.get("id") for m in response.json().get("data", [])]
            state = (
                "serves " + endpoint.model
                if endpoint.model in served
                else f"does not serve {endpoint.model} ({served})"
            )
            down += endpoint.model not in served
        except (httpx.HTTPError, ValueError) as exc:
            state = f"unreachable ({type(exc).__name__})"
            down += 1
        lines.append(f"{base} {state}")
    if down == len(config.endpoints):
        raise RuntimeError("; ".join(lines))
    return "; ".join(lines)


def _ocr() -> str:
    from retrieval.parsing.ocr import ocr_status

    settings = get_settings()
    status = ocr_status(settings.parsing_config())
    if status.available:
        return (
            f"{status.version} at {status.command}, languages "
            f"{settings.ingestion.ocr_languages}: scanned PDFs and images are read"
        )
    line = f"{status.reason}: scanned PDFs and images fail with that reason"
    if settings.ingestion.ocr:  # asked for explicitly, so its absence is a fault
        raise RuntimeError(line)
    return line


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("database", _database),
    ("broker", _broker),
    ("search index", _search_index),
    ("embedding model", _embedding_model),
    ("vector store", _vector_store),
    ("llm", _llm),
    ("ocr", _ocr),
)


def run_checks() -> Iterator[Check]:
    """Run every check; a failing check never stops the others."""
    for name, check in CHECKS:
        try:
            yield Check(name, True, check())
        except Exception as exc:  # doctor reports every failure as a line
            yield Check(name, False, f"{type(exc).__name__}: {exc}")
