"""Folder sync: make a collection follow a source (new, changed, renamed, removed files).

A source is a local folder, a WebDAV collection or an SMB share
(``webapp.knowledge.sources``). Identity is (collection, the entry's key: the
absolute path of a local file, the credential-free URL of a remote one);
content is the sha256. A file whose size and change stamp match what was seen
last time is not even read, so an unchanged folder costs one ``stat`` per file
(one listing per remote folder). A file that is read is read once, into a
spooled temporary file that is both hashed and stored. A changed file keeps its Document
(version + 1) and is re-indexed: the indexer writes the new points before it
removes the stale ones, so searches never see the document missing. A file that
disappeared is erased like a deleted document; a source that cannot be listed
whole (wrong password, server down) raises before anything is deleted. What is
read follows the folder rules of ``webapp.knowledge.folders`` (no links, no
special files, nothing of Enclave's own; remote paths that could escape the
root refused); what was left out is in the report.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import F

from retrieval import supported_extensions
from retrieval.parsing.titles import file_title
from webapp.config.settings import get_settings
from webapp.core.permissions import SYSTEM, require_admin
from webapp.knowledge.folders import UNREADABLE, SkippedEntry, unreadable_reason
from webapp.knowledge.models import (
    Collection,
    Document,
    DocumentSource,
    TitleSource,
    requeue_fields,
)
from webapp.knowledge.services import (
    _store_upload,
    document_create,
    document_delete,
    upload_filename,
)
from webapp.knowledge.sources import LocalSource, Source, SourceEntry, SourceError
from webapp.knowledge.sources.configured import configured_sources
from worker.contracts import enqueue_ingest

__all__ = ["SyncReport", "folder_sync", "folders_sync_configured", "source_sync"]

logger = logging.getLogger(__name__)

_BLOCK = 1024 * 1024
_SPOOL_BYTES = 8 * 1024 * 1024  # smaller files are held in memory while synced


@dataclass
class SyncReport:
    """What one sync pass did; ``queued`` are the document ids sent to the worker."""

    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    renamed: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    unchanged: int = 0
    duplicates: int = 0
    # Entries not read (links, special files, Enclave's own files), with the reason.
    skipped: list[SkippedEntry] = field(default_factory=list)

    @property
    def queued(self) -> list[int]:
        """Documents whose (re-)indexing this pass queued."""
        return [*self.added, *self.changed]


def folder_sync(*, collection: Collection, folder: Path, actor: Any | None) -> SyncReport:
    """Bring ``collection`` in line with the supported files under ``folder``."""
    require_admin(actor)
    source = LocalSource(folder, home=get_settings().home_dir)
    return source_sync(collection=collection, source=source, actor=actor)


def source_sync(*, collection: Collection, source: Source, actor: Any | None) -> SyncReport:
    """Bring ``collection`` in line with the supported files of ``source`` (raises SourceError)."""
    require_admin(actor)
    listing = source.list(extensions=supported_extensions())  # raises before any change
    files = {entry.key: entry for entry in listing.entries}
    known = {
        d.source_path: d
        for d in Document.objects.filter(collection=collection, source_path__startswith=source.root)
        if source.owns(d.source_path)
    }
    report = SyncReport(skipped=listing.skipped)
    missing = {key: doc for key, doc in known.items() if key not in files}
    for key, seen in files.items():
        document = known.get(key)
        try:
            if document is None:
                _add(collection, source, seen, missing, actor, report)
            elif document.size_bytes == seen.size and document.source_mtime_ns == seen.mtime_ns:
                report.unchanged += 1
            else:
                _update(document, source, seen, actor, report)
        except UNREADABLE as exc:  # swapped for a link, gone or locked since the walk
            report.skipped.append(SkippedEntry(key, unreadable_reason(exc)))
    for document in missing.values():
        report.deleted.append(document.id)  # before the delete: it clears the instance's id
        document_delete(document=document, actor=actor)
    _log(collection, report)
    return report


def folders_sync_configured() -> list[int]:
    """Sync each ENCLAVE_SYNC_FOLDERS and ENCLAVE_SYNC_SOURCES entry (collection made if needed)."""
    queued: list[int] = []
    for name, folder in get_settings().ingestion.sync_folders.items():
        collection = _collection_named(name)
        try:
            queued.extend(folder_sync(collection=collection, folder=folder, actor=SYSTEM).queued)
        except FileNotFoundError:
            logger.warning("sync folder missing for collection %s: %s", collection.id, folder)
    for name, opened in configured_sources():
        collection = _collection_named(name)
        try:
            with opened as source:
                queued.extend(
                    source_sync(collection=collection, source=source, actor=SYSTEM).queued
                )
        except SourceError as exc:  # the message names the URL, never the credentials
            logger.warning("sync source failed for collection %s: %s", collection.id, exc)
    return queued


def _collection_named(name: str) -> Collection:
    collection = Collection.objects.filter(name=name).first()
    if collection is None:
        collection = Collection.objects.create(name=name)
        logger.info("sync created collection %s (no groups: admins only)", collection.id)
    return collection


def _log(collection: Collection, report: SyncReport) -> None:
    logger.info(
        "sync collection=%s added=%s changed=%s renamed=%s deleted=%s unchanged=%s "
        "duplicates=%s skipped=%s",
        collection.id,
        len(report.added),
        len(report.changed),
        len(report.renamed),
        len(report.deleted),
        report.unchanged,
        report.duplicates,
        len(report.skipped),
    )
    for entry in report.skipped:
        logger.warning("sync collection=%s skipped %r: %s", collection.id, entry.path, entry.reason)


def _fetch(source: Source, seen: SourceEntry) -> tuple[IO[bytes], str]:
    """The entry's content, read once into a spooled temporary file, and its sha256."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (returned)
    digest = hashlib.sha256()
    try:
        with source.open(seen) as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
                spool.write(block)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, digest.hexdigest()


def _add(
    collection: Collection,
    source: Source,
    seen: SourceEntry,
    missing: dict[str, Document],
    actor: Any | None,
    report: SyncReport,
) -> None:
    content, sha256 = _fetch(source, seen)
    with content:
        twin = Document.objects.filter(collection=collection, sha256=sha256).first()
        if twin is not None and twin.source_path in missing:
            # Renamed or moved inside the source: same content, new path, no re-embedding.
            del missing[twin.source_path]
            _rename(twin, seen)
            report.renamed.append(twin.id)
            return
        if twin is not None:
            report.duplicates += 1  # identical content already in the collection
            return
        with transaction.atomic():
            document, created = document_create(
                collection=collection,
                filename=seen.name,
                content=content,
                actor=actor,
                source=DocumentSource.SYNC,
            )
            if created:
                Document.objects.filter(id=document.id).update(
                    source_path=seen.key, source_mtime_ns=seen.mtime_ns
                )
    if created:
        report.added.append(document.id)
    else:  # an identical file was added concurrently
        report.duplicates += 1


def _rename(twin: Document, seen: SourceEntry) -> None:
    filename = upload_filename(seen.name)
    renamed = {"title": file_title(filename) or filename}
    Document.objects.filter(id=twin.id).update(
        source_path=seen.key,
        source_mtime_ns=seen.mtime_ns,
        filename=filename,
        # A title from the file name follows the new name; the others stay.
        **(renamed if twin.title_source == TitleSource.FILENAME else {}),
    )


def _update(
    document: Document, source: Source, seen: SourceEntry, actor: Any | None, report: SyncReport
) -> None:
    content, sha256 = _fetch(source, seen)
    with content:
        if sha256 == document.sha256:  # touched, not changed
            Document.objects.filter(id=document.id).update(
                source_mtime_ns=seen.mtime_ns, size_bytes=seen.size
            )
            report.unchanged += 1
            return
        stored, stored_sha, size = _store_upload(content, filename=seen.name)
    old_stored = Path(document.stored_path)
    try:
        with transaction.atomic():
            Document.objects.filter(id=document.id).update(
                sha256=stored_sha,
                size_bytes=size,
                stored_path=str(stored),
                source_mtime_ns=seen.mtime_ns,
                mime_type=mimetypes.guess_type(seen.name)[0] or "application/octet-stream",
                version=F("version") + 1,
                **requeue_fields(),
            )
            transaction.on_commit(lambda: enqueue_ingest(document.id))
    except IntegrityError:
        # The new content equals another document of the collection: keep that one.
        stored.unlink(missing_ok=True)
        report.deleted.append(document.id)
        document_delete(document=document, actor=actor)
        report.duplicates += 1
        return
    _remove_stored(old_stored)
    report.changed.append(document.id)


def _remove_stored(path: Path) -> None:
    if path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
