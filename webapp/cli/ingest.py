"""Ingestion commands of ``enclave``: ingest files, retry failed documents, sync a source, re-index.

``enclave ingest PATH...`` reads files and folders by the same folder rules as
sync (webapp.knowledge.folders), every entry left out listed.

Each command translates its arguments into one service call, then (unless
``--no-wait``) watches the documents finish with the same progress bar as
``enclave ingest``. On the embedded defaults the work runs in this process
when no ``enclave serve`` owns the index, and in the server's worker otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from retrieval.parsing.titles import display_text
from webapp import runtime
from webapp.cli.installation import open_installation
from webapp.cli.output import console
from webapp.cli.progress import watch_build, watch_documents
from webapp.config.settings import get_settings
from webapp.core.permissions import SYSTEM
from webapp.knowledge.folders import (
    UNREADABLE,
    SkippedEntry,
    folder_scan,
    unreadable_reason,
    unsafe_reason,
)

__all__ = [
    "COMMANDS",
    "IngestSelection",
    "ingest",
    "ingest_queue",
    "ingest_selection",
    "print_skipped",
    "reindex",
    "retry",
    "sync",
]


@dataclass
class IngestSelection:
    """Files to queue, each with the folder it was found in (None: named itself), and the rest."""

    files: list[tuple[Path, Path | None]] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)


def ingest_selection(paths: tuple[Path, ...]) -> IngestSelection:
    """What ``enclave ingest PATH...`` reads: folders walked by the folder rules, files checked.

    Every file of a folder is taken whatever its type (an unsupported one fails
    with a reason the administrator sees). A file named on the command line may
    be a link (the administrator chose it): its target is checked instead.
    """
    home = get_settings().home_dir
    selection = IngestSelection()
    for path in paths:
        if path.is_dir():
            scan = folder_scan(path, home=home)
            selection.files += [(found.path, scan.folder) for found in scan.files]
            selection.skipped += scan.skipped
            continue
        reason = unsafe_reason(path, home=home)
        if reason is not None:
            selection.skipped.append(SkippedEntry(str(path), reason))
        else:
            selection.files.append((path.resolve(), None))
    return selection


def ingest_queue(*, collection: Any, selection: IngestSelection) -> list[int]:
    """Queue the selected files (an identical file already there is not queued again)."""
    from django.db import transaction

    from webapp.knowledge.services import document_create_from_path

    ids = []
    for path, folder in selection.files:
        try:
            with transaction.atomic():
                document, _created = document_create_from_path(
                    collection=collection, path=path, actor=SYSTEM, inside=folder
                )
        except UNREADABLE as exc:  # swapped for a link or a pipe, or gone, since the walk
            selection.skipped.append(SkippedEntry(str(path), unreadable_reason(exc)))
            continue
        ids.append(document.id)
    return list(dict.fromkeys(ids))


def print_skipped(skipped: list[SkippedEntry]) -> None:
    """List the entries that were not read, with the reason."""
    if not skipped:
        return
    console.print(f"Skipped {len(skipped)} entries:")
    for entry in skipped:
        # A file name is the share writer's text: no markup, no control characters.
        name = escape(display_text(entry.path))
        console.print(f"  [yellow]skipped[/yellow] {name}: {escape(entry.reason)}")


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
    if watch_documents(document_ids):
        sys.exit(1)


def _require_index_here() -> None:
    if get_settings().embedded and runtime.serve_is_running():
        raise click.ClickException(
            "'enclave serve' owns the embedded index right now: stop it first, or set "
            "ENCLAVE_SYNC_FOLDERS so the server syncs the folder itself"
        )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--collection", "collection_name", required=True, help="Collection name.")
@click.option("--group", "groups", multiple=True, help="Groups that may read a new collection.")
@click.option("--wait/--no-wait", default=True, help="Show progress until every file is done.")
def ingest(
    paths: tuple[Path, ...], collection_name: str, groups: tuple[str, ...], wait: bool
) -> None:
    """Queue files and folders for ingestion and show their progress."""
    open_installation(create=True)
    from webapp.cli import support

    collection = support.collection_get_or_create(name=collection_name, group_names=groups)
    selection = ingest_selection(paths)
    documents = ingest_queue(collection=collection, selection=selection)
    print_skipped(selection.skipped)
    if not documents:
        raise click.ClickException("no files to ingest")
    if not wait:
        console.print(f"Queued {len(documents)} documents in {collection.name!r}.")
        return
    with _worker_here(needed=True):
        failed = watch_documents(documents)
    if failed:
        sys.exit(1)


@click.command()
@click.option(
    "--failed", "only_failed", is_flag=True, required=True, help="Retry failed documents."
)
@click.option("--collection", "collection_name", required=True, help="Collection name.")
@click.option("--wait/--no-wait", default=True, help="Show progress until every file is done.")
def retry(only_failed: bool, collection_name: str, wait: bool) -> None:
    """Queue a collection's failed documents again and show their progress."""
    open_installation()
    from django.db import transaction

    from webapp.cli import support
    from webapp.knowledge.services import documents_retry_failed

    collection = support.collection_named(collection_name)
    with transaction.atomic():
        document_ids = documents_retry_failed(collection=collection, actor=SYSTEM)
    with _worker_here(needed=wait and bool(document_ids)):
        _watch_or_report(document_ids, wait=wait, what="retry")


@click.command()
@click.argument("location")
@click.option("--collection", "collection_name", required=True, help="Collection name.")
@click.option("--group", "groups", multiple=True, help="Groups that may read a new collection.")
@click.option("--user", help="Account on the WebDAV or SMB server (a URL LOCATION).")
@click.option(
    "--password-file", type=click.Path(dir_okay=False, path_type=Path), help="Its password."
)
@click.option("--password-env", help="Variable holding its password (instead of a file).")
@click.option("--wait/--no-wait", default=True, help="Show progress until every file is done.")
def sync(
    location: str,
    collection_name: str,
    groups: tuple[str, ...],
    user: str | None,
    password_file: Path | None,
    password_env: str | None,
    wait: bool,
) -> None:
    """Make a collection follow a folder, a WebDAV URL or an smb:// share (index, erase)."""
    remote = "://" in location
    if not remote and not Path(location).is_dir():
        raise click.ClickException(f"not a folder: {location}")
    _require_index_here()
    open_installation(create=True)
    from webapp.cli import support

    collection = support.collection_get_or_create(name=collection_name, group_names=groups)
    with _worker_here(needed=True):
        if remote:
            report = _sync_remote(location, collection, user, password_file, password_env)
        else:
            from webapp.knowledge.sync import folder_sync

            report = folder_sync(collection=collection, folder=Path(location), actor=SYSTEM)
        console.print(
            f"{len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.renamed)} renamed, {len(report.deleted)} deleted, "
            f"{report.unchanged} unchanged, {report.duplicates} duplicates, "
            f"{len(report.skipped)} skipped."
        )
        print_skipped(report.skipped)
        _watch_or_report(report.queued, wait=wait, what="index")


def _sync_remote(
    url: str,
    collection: Any,
    user: str | None,
    password_file: Path | None,
    password_env: str | None,
) -> Any:
    """One pass over a WebDAV or SMB source; its errors name the URL, never the password."""
    from pydantic import ValidationError

    from webapp.config.sections import SyncSourceSettings
    from webapp.knowledge.sources import SourceError
    from webapp.knowledge.sources.configured import source_open
    from webapp.knowledge.sync import source_sync

    if user is None:
        raise click.ClickException("a URL needs --user and --password-file or --password-env")
    try:
        spec = SyncSourceSettings(
            url=url, user=user, password_file=password_file, password_env=password_env
        )
    except ValidationError as exc:
        raise click.ClickException(exc.errors()[0]["msg"]) from None
    try:
        with source_open(spec) as source:
            return source_sync(collection=collection, source=source, actor=SYSTEM)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None


def _reindex(document_id: int | None, collection_name: str | None, everything: bool) -> list[int]:
    """Queue what was asked for through the same services as the admin console."""
    from webapp.cli import support
    from webapp.knowledge.models import Document
    from webapp.knowledge.services import (
        collection_reindex,
        documents_reindex,
        documents_reindex_all,
    )

    if everything:
        return documents_reindex_all(actor=SYSTEM)
    if collection_name is not None:
        return collection_reindex(
            collection=support.collection_named(collection_name), actor=SYSTEM
        )
    documents = Document.objects.filter(id=document_id)
    if not documents.exists():
        raise click.ClickException(f"no such document: {document_id}")
    return documents_reindex(documents=documents, actor=SYSTEM)


@click.command()
@click.argument("document_id", required=False, type=int)
@click.option("--collection", "collection_name", default=None, help="Every document of it.")
@click.option("--all", "everything", is_flag=True, help="Every document.")
@click.option(
    "--model",
    default=None,
    help="Build a new index with this embedding model (use-multilingual-v3 or "
    "all-MiniLM-L6-v2, both packaged, or a local sentence-transformers directory) and "
    "switch to it when complete; needs --all.",
)
@click.option("--wait/--no-wait", default=True, help="Show progress until the work is done.")
def reindex(
    document_id: int | None,
    collection_name: str | None,
    everything: bool,
    model: str | None,
    wait: bool,
) -> None:
    """Index documents again without taking them out of search meanwhile."""
    if [document_id is not None, collection_name is not None, everything].count(True) != 1:
        raise click.UsageError("give one of DOCUMENT_ID, --collection NAME or --all")
    if model is not None and not everything:
        raise click.UsageError("--model builds a whole new index: use it with --all")
    open_installation()
    if model is not None:
        _rebuild(model, wait=wait)
        return
    from django.db import transaction

    with transaction.atomic():
        document_ids = _reindex(document_id, collection_name, everything)
    with _worker_here(needed=wait and bool(document_ids)):
        _watch_or_report(document_ids, wait=wait, what="re-index")


def _rebuild(model: str, *, wait: bool) -> None:
    from django.db import transaction

    from webapp.core.errors import EnclaveError
    from webapp.knowledge.indexes import (
        configured_model,
        is_packaged,
        model_key,
        model_label,
        search_index_build_for_model,
    )

    key = model_key(model)
    if not is_packaged(key) and not Path(key).is_dir():
        raise click.ClickException(f"no model directory at {model}")
    try:
        with transaction.atomic():
            index = search_index_build_for_model(key)
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from exc
    console.print(
        f"Building index {index.name} with {model_label(index)} ({index.dimension} dimensions); "
        "searches use the current index until it is complete."
    )
    if key != configured_model()[0]:
        console.print(
            f"Set ENCLAVE_EMBEDDING_MODEL={key or 'all-MiniLM-L6-v2'}: a start with another "
            "configured model rebuilds the index with that one."
        )
    if not wait:
        return
    with _worker_here(needed=True):
        watch_build(index.id)


COMMANDS: list[click.Command] = [ingest, retry, sync, reindex]
