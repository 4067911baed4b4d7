"""Ingestion commands of ``enclave``: retry failed documents, sync a folder.

Each command translates its arguments into one service call, then (unless
``--no-wait``) watches the documents finish with the same progress bar as
``enclave ingest``. On the embedded defaults the work runs in this process
when no ``enclave serve`` owns the index, and in the server's worker otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from webapp import runtime
from webapp.config.settings import get_settings

__all__ = ["COMMANDS"]

console = Console(highlight=False, soft_wrap=True)


def _collection(name: str) -> Any:
    from webapp.knowledge.selectors import collection_get_by_name

    collection = collection_get_by_name(name=name)
    if collection is None:
        raise click.ClickException(f"no such collection: {name}")
    return collection


@contextmanager
def _worker_here(*, needed: bool) -> Iterator[None]:
    """Run the embedded worker in this process while inside, unless a server owns the index."""
    embedded = None
    if needed and get_settings().embedded and not runtime.serve_is_running():
        embedded = runtime.EmbeddedRuntime()
        embedded.start()
    try:
        yield
    finally:
        if embedded is not None:
            embedded.stop()


def _watch_or_report(document_ids: list[int], *, wait: bool, what: str) -> None:
    if not document_ids:
        console.print(f"No documents to {what}.")
        return
    if not wait:
        console.print(f"Queued {len(document_ids)} documents.")
        return
    from webapp.cli import _watch

    if _watch(document_ids):
        sys.exit(1)


def _require_index_here() -> None:
    if get_settings().embedded and runtime.serve_is_running():
        raise click.ClickException(
            "'enclave serve' owns the embedded index right now: stop it first, or set "
            "ENCLAVE_SYNC_FOLDERS so the server syncs the folder itself"
        )


@click.command()
@click.option(
    "--failed", "only_failed", is_flag=True, required=True, help="Retry failed documents."
)
@click.option("--collection", "collection_name", required=True, help="Collection name.")
@click.option("--wait/--no-wait", default=True, help="Show progress until every file is done.")
def retry(only_failed: bool, collection_name: str, wait: bool) -> None:
    """Queue a collection's failed documents again and show their progress."""
    runtime.setup_django()
    runtime.migrate()
    from django.db import transaction

    from webapp.knowledge.services import documents_retry_failed

    collection = _collection(collection_name)
    with transaction.atomic():
        document_ids = documents_retry_failed(collection=collection, actor=None)
    with _worker_here(needed=wait and bool(document_ids)):
        _watch_or_report(document_ids, wait=wait, what="retry")


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--collection", "collection_name", required=True, help="Collection name.")
@click.option("--group", "groups", multiple=True, help="Groups that may read a new collection.")
@click.option("--wait/--no-wait", default=True, help="Show progress until every file is done.")
def sync(folder: Path, collection_name: str, groups: tuple[str, ...], wait: bool) -> None:
    """Make a collection follow a folder: index new and changed files, erase removed ones."""
    _require_index_here()
    runtime.setup_django()
    runtime.migrate()
    from webapp import cli_support
    from webapp.knowledge.sync import folder_sync

    collection = cli_support.collection_get_or_create(name=collection_name, group_names=groups)
    with _worker_here(needed=True):
        report = folder_sync(collection=collection, folder=folder, actor=None)
        console.print(
            f"{len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.renamed)} renamed, {len(report.deleted)} deleted, "
            f"{report.unchanged} unchanged, {report.duplicates} duplicates."
        )
        _watch_or_report(report.queued, wait=wait, what="index")


COMMANDS: list[click.Command] = [retry, sync]
