"""Folder sync: make a collection follow a directory (new, changed, renamed, removed files).

Identity is (collection, absolute source path); content is the sha256. A file
whose size and mtime match what was seen last time is not even read, so an
unchanged folder costs one ``stat`` per file. A changed file keeps its Document
(version + 1) and is re-indexed: the indexer writes the new points before it
removes the stale ones, so searches never see the document missing. A file that
disappeared is erased like a deleted document. What is read follows the folder
rules of ``webapp.knowledge.folders`` (no links, no special files, nothing of
Enclave's own); what was left out is in the report.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import F

from retrieval import supported_extensions
from retrieval.parsing.titles import file_title
from webapp.config.settings import get_settings
from webapp.core.permissions import SYSTEM, require_admin
from webapp.knowledge.folders import (
    UNREADABLE,
    FolderFile,
    SkippedEntry,
    folder_scan,
    open_folder_file,
    unreadable_reason,
)
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
from worker.contracts import enqueue_ingest

__all__ = ["SyncReport", "folder_sync", "folders_sync_configured"]

logger = logging.getLogger(__name__)

_HASH_BLOCK = 1024 * 1024


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
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"not a folder: {folder}")
    scan = folder_scan(folder, home=get_settings().home_dir, extensions=supported_extensions())
    files = {str(f.path): f for f in scan.files}
    known = {
        d.source_path: d
        for d in Document.objects.filter(collection=collection, source_path__startswith=str(folder))
        if _inside(d.source_path, folder)
    }
    report = SyncReport(skipped=scan.skipped)
    missing = {path: doc for path, doc in known.items() if path not in files}
    for path, seen in files.items():
        document = known.get(path)
        try:
            if document is None:
                _add(collection, seen, missing, actor, report)
            elif document.size_bytes == seen.size and document.source_mtime_ns == seen.mtime_ns:
                report.unchanged += 1
            else:
                _update(document, seen, actor, report)
        except UNREADABLE as exc:  # swapped for a link, gone or locked since the walk
            report.skipped.append(SkippedEntry(path, unreadable_reason(exc)))
    for document in missing.values():
        report.deleted.append(document.id)  # before the delete: it clears the instance's id
        document_delete(document=document, actor=actor)
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
    return report


def folders_sync_configured() -> list[int]:
    """Sync each ENCLAVE_SYNC_FOLDERS entry (collection created, admin-only, if missing)."""
    queued: list[int] = []
    for name, folder in get_settings().ingestion.sync_folders.items():
        collection = Collection.objects.filter(name=name).first()
        if collection is None:
            collection = Collection.objects.create(name=name)
            logger.info("sync created collection %s (no groups: admins only)", collection.id)
        try:
            queued.extend(folder_sync(collection=collection, folder=folder, actor=SYSTEM).queued)
        except FileNotFoundError:
            logger.warning("sync folder missing for collection %s: %s", collection.id, folder)
    return queued


def _inside(path: str, folder: Path) -> bool:
    return path == str(folder) or path.startswith(str(folder) + os.sep)


def _open(seen: FolderFile) -> BinaryIO:
    """Open a file found by the walk, with the walk's rules checked again on the open file."""
    return open_folder_file(seen.path, home=get_settings().home_dir, inside=seen.path.parent)


def _sha256(seen: FolderFile) -> str:
    digest = hashlib.sha256()
    with _open(seen) as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _add(
    collection: Collection,
    seen: FolderFile,
    missing: dict[str, Document],
    actor: Any | None,
    report: SyncReport,
) -> None:
    sha256 = _sha256(seen)
    twin = Document.objects.filter(collection=collection, sha256=sha256).first()
    if twin is not None and twin.source_path in missing:
        # Renamed or moved inside the folder: same content, new path, no re-embedding.
        del missing[twin.source_path]
        filename = upload_filename(seen.path.name)
        renamed = {"title": file_title(filename) or filename}
        Document.objects.filter(id=twin.id).update(
            source_path=str(seen.path),
            source_mtime_ns=seen.mtime_ns,
            filename=filename,
            # A title from the file name follows the new name; the others stay.
            **(renamed if twin.title_source == TitleSource.FILENAME else {}),
        )
        report.renamed.append(twin.id)
        return
    if twin is not None:
        report.duplicates += 1  # identical content already in the collection
        return
    with transaction.atomic(), _open(seen) as handle:
        document, created = document_create(
            collection=collection,
            filename=seen.path.name,
            content=handle,
            actor=actor,
            source=DocumentSource.SYNC,
        )
        if created:
            Document.objects.filter(id=document.id).update(
                source_path=str(seen.path), source_mtime_ns=seen.mtime_ns
            )
    if created:
        report.added.append(document.id)
    else:  # an identical file was added concurrently
        report.duplicates += 1


def _update(document: Document, seen: FolderFile, actor: Any | None, report: SyncReport) -> None:
    sha256 = _sha256(seen)
    if sha256 == document.sha256:  # touched, not changed
        Document.objects.filter(id=document.id).update(
            source_mtime_ns=seen.mtime_ns, size_bytes=seen.size
        )
        report.unchanged += 1
        return
    with _open(seen) as handle:
        stored, stored_sha, size = _store_upload(handle, filename=seen.path.name)
    if stored_sha != sha256:  # changed again while we read it: the next pass catches up
        logger.info("document %s changed while syncing; retrying next pass", document.id)
    old_stored = Path(document.stored_path)
    try:
        with transaction.atomic():
            Document.objects.filter(id=document.id).update(
                sha256=stored_sha,
                size_bytes=size,
                stored_path=str(stored),
                source_mtime_ns=seen.mtime_ns,
                mime_type=mimetypes.guess_type(seen.path.name)[0] or "application/octet-stream",
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
