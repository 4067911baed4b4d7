"""Changes to collections and documents (admin actions)."""

from __future__ import annotations

import errno
import hashlib
import logging
import mimetypes
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from retrieval.parsing.titles import MAX_TITLE_CHARS, display_text, file_title
from webapp.audit.models import AuditEvent
from webapp.audit.services import audit_record
from webapp.chat.erasure import messages_erase_document
from webapp.config.settings import get_settings
from webapp.core.errors import ErrorCode, StorageFullError, ValidationError
from webapp.core.permissions import actor_user, require_admin
from webapp.knowledge.access import collection_groups_changed
from webapp.knowledge.folders import open_folder_file
from webapp.knowledge.index_engines import get_write_stores
from webapp.knowledge.models import (
    IN_PROGRESS_STATUSES,
    Collection,
    Document,
    DocumentSource,
    DocumentStatus,
    TitleSource,
    requeue_fields,
)
from webapp.knowledge.selectors import document_reader_group_ids
from worker.contracts import enqueue_ingest

logger = logging.getLogger(__name__)

COPY_CHUNK = 1024 * 1024


def _collection_name(name: str, *, exclude_id: int | None = None) -> str:
    """``name`` stripped; ValidationError if empty or another collection has it."""
    name = name.strip()
    if not name:
        raise ValidationError(gettext_noop("A collection needs a name."))
    if Collection.objects.filter(name=name).exclude(id=exclude_id).exists():
        raise ValidationError(
            gettext_noop("A collection named %(name)r already exists."), params={"name": name}
        )
    return name


def collection_create(
    *, name: str, description: str = "", group_ids: Iterable[int] = (), actor: Any
) -> Collection:
    """Create a collection readable by the given groups."""
    require_admin(actor)
    name = _collection_name(name)
    collection = Collection.objects.create(name=name, description=description.strip())
    collection.allowed_groups.set(Group.objects.filter(id__in=list(group_ids)))
    audit_record(
        kind=AuditEvent.Kind.COLLECTION_CREATE,
        actor=actor,
        detail={"collection_id": collection.id, "name": name, "group_ids": sorted(group_ids)},
    )
    return collection


def collection_set_groups(*, collection: Collection, group_ids: Iterable[int], actor: Any) -> None:
    """Change who may read a collection: the database at once, its chunks via the worker.

    The worker task (``enclave.apply_collection_groups``) rewrites the points'
    group ids, payload only, seconds later; see ``webapp.knowledge.access``.
    """
    require_admin(actor)
    groups = list(Group.objects.filter(id__in=list(group_ids)))
    ids = [g.id for g in groups]
    with transaction.atomic():
        collection.allowed_groups.set(groups)
        collection_groups_changed(collection=collection)
        audit_record(
            kind=AuditEvent.Kind.COLLECTION_GROUPS,
            actor=actor,
            detail={"collection_id": collection.id, "group_ids": sorted(ids)},
        )


def _store_upload(source: IO[bytes], *, filename: str) -> tuple[Path, str, int]:
    """Copy an upload under home/uploads while hashing it; returns (path, sha256, size).

    Whatever goes wrong, no partial file stays behind; a full disk is a StorageFullError.
    """
    settings = get_settings()
    limit_mb = settings.ingestion.max_upload_mb
    limit = limit_mb * 1024 * 1024
    target = settings.uploads_dir / uuid.uuid4().hex
    digest = hashlib.sha256()
    size = 0
    try:
        with target.open("wb") as out:
            while block := source.read(COPY_CHUNK):
                size += len(block)
                if size > limit:
                    raise ValidationError(
                        gettext_noop(
                            "%(filename)s is larger than the %(limit)s MB limit "
                            "(ENCLAVE_MAX_UPLOAD_MB)."
                        ),
                        code=ErrorCode.TOO_LARGE,
                        params={"filename": filename, "limit": limit_mb},
                    )
                digest.update(block)
                out.write(block)
    except BaseException as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            logger.error("upload of %s bytes refused: no space left in %s", size, target.parent)
            raise StorageFullError(
                gettext_noop(
                    "%(filename)s could not be stored: the server's disk is full. "
                    "Ask an administrator to free space, then upload it again."
                ),
                params={"filename": filename},
            ) from exc
        raise
    return target, digest.hexdigest(), size


def document_create(
    *,
    collection: Collection,
    filename: str,
    content: IO[bytes],
    actor: Any,
    source: str = DocumentSource.UPLOAD,
    title: str | None = None,
) -> tuple[Document, bool]:
    """Store a file and queue its ingestion; a file already there is returned (created=False).

    Without a ``title`` the document is titled by its file name until ingestion
    finds the document's own title. Control and format characters (a right-to-left
    override spoofs "txt.png" as "gnp.txt") are removed from the name and title.
    """
    require_admin(actor)
    filename = upload_filename(filename)
    title = display_text(title or "")[:MAX_TITLE_CHARS]
    path, sha256, size = _store_upload(content, filename=filename)
    existing = Document.objects.filter(collection=collection, sha256=sha256).first()
    if existing is not None:
        path.unlink(missing_ok=True)
        return existing, False
    mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    try:
        with transaction.atomic():
            document = Document.objects.create(
                collection=collection,
                title=title or file_title(filename) or filename,
                title_source=TitleSource.ADMIN if title else TitleSource.FILENAME,
                filename=filename,
                source=source,
                mime_type=mime_type,
                size_bytes=size,
                sha256=sha256,
                stored_path=str(path),
                uploaded_by=actor_user(actor),
            )
            audit_record(
                kind=AuditEvent.Kind.DOCUMENT_UPLOAD,
                actor=actor,
                detail={"document_id": document.id, "filename": filename, "size": size},
            )
            transaction.on_commit(lambda: enqueue_ingest(document.id))
    except IntegrityError:
        # A concurrent upload of the same file won the race.
        path.unlink(missing_ok=True)
        return Document.objects.get(collection=collection, sha256=sha256), False
    logger.info("document %s queued (%s bytes, collection %s)", document.id, size, collection.id)
    return document, True


def upload_filename(name: str) -> str:
    """The name an upload is kept under: its last path part, cleaned, never empty."""
    # Control and format characters go: NUL, newlines, bidi overrides and isolates.
    base = display_text(name.replace("\\", "/").rsplit("/", 1)[-1])
    return base if base not in ("", ".", "..") else "document"


def document_create_from_path(
    *,
    collection: Collection,
    path: Path,
    actor: Any,
    source: str = DocumentSource.CLI,
    inside: Path | None = None,
) -> tuple[Document, bool]:
    """Queue a file from the local disk (CLI); see webapp.knowledge.folders for what is refused.

    Raises UnsafeFileError (an OSError) for a link, a special file, a file under
    Enclave's home directory or, with ``inside``, a file that is not in that folder.
    """
    home = get_settings().home_dir
    with open_folder_file(path, home=home, inside=inside) as handle:
        return document_create(
            collection=collection, filename=path.name, content=handle, actor=actor, source=source
        )


def document_retry(*, document: Document, actor: Any) -> None:
    """Queue a failed or indexed document again, from scratch."""
    require_admin(actor)
    Document.objects.filter(id=document.id).update(**requeue_fields())
    transaction.on_commit(lambda: enqueue_ingest(document.id))


def documents_retry_failed(*, collection: Collection, actor: Any) -> list[int]:
    """Queue every failed document of a collection again; returns their ids."""
    require_admin(actor)
    ids = list(
        Document.objects.filter(collection=collection, status=DocumentStatus.FAILED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for document in Document.objects.filter(id__in=ids):
        document_retry(document=document, actor=actor)
    logger.info("retrying %s failed documents of collection %s", len(ids), collection.id)
    return ids


DOCUMENTS_REINDEX = "documents.reindex"  # audit kind (a plain string: no migration)


def documents_reindex(
    *, documents: Iterable[Document], actor: Any, scope: dict[str, Any] | None = None
) -> list[int]:
    """Queue documents to be indexed again; returns their ids (those already under way too).

    Nothing leaves search meanwhile: search does not look at a document's status,
    and the indexer writes the new passages before it removes the old ones.
    ``scope`` (what was asked for: a collection, everything) goes into the audit event.
    """
    require_admin(actor)
    ids = sorted({d.id for d in documents})
    rows = Document.objects.filter(id__in=ids).exclude(status=DocumentStatus.DELETING)
    requeue = list(rows.exclude(status__in=IN_PROGRESS_STATUSES).values_list("id", flat=True))
    Document.objects.filter(id__in=requeue).update(**requeue_fields())
    for document_id in requeue:
        transaction.on_commit(lambda d=document_id: enqueue_ingest(d))
    audit_record(
        kind=DOCUMENTS_REINDEX, actor=actor, detail={**(scope or {}), "documents": len(requeue)}
    )
    logger.info(
        "re-indexing %s documents (%s already under way)", len(requeue), rows.count() - len(requeue)
    )
    return list(rows.order_by("id").values_list("id", flat=True))


def collection_reindex(*, collection: Collection, actor: Any) -> list[int]:
    """Queue every document of a collection to be indexed again; returns their ids."""
    return documents_reindex(
        documents=Document.objects.filter(collection=collection),
        actor=actor,
        scope={"collection_id": collection.id, "name": collection.name},
    )


def documents_reindex_all(*, actor: Any) -> list[int]:
    """Queue every document of every collection to be indexed again; returns their ids."""
    return documents_reindex(documents=Document.objects.all(), actor=actor, scope={"all": True})


COLLECTION_DELETE = "collection.delete"  # audit kind (a plain string: no migration of the choices)
COLLECTION_RENAME = "collection.rename"


def collection_rename(*, collection: Collection, name: str, actor: Any) -> Collection:
    """Give a collection another name (unique, not empty); its documents and readers stay."""
    require_admin(actor)
    name = _collection_name(name, exclude_id=collection.id)
    old = collection.name
    Collection.objects.filter(id=collection.id).update(name=name)
    collection.name = name
    audit_record(
        kind=COLLECTION_RENAME,
        actor=actor,
        detail={"collection_id": collection.id, "name": name, "old_name": old},
    )
    return collection


def collection_delete(*, collection: Collection, actor: Any) -> int:
    """Erase a collection: every document's points, stored original and row, then the collection.

    Returns the number of documents erased. A document still being indexed is
    caught by the worker, which removes what it wrote when it finds its row gone.
    """
    require_admin(actor)
    documents = list(Document.objects.filter(collection=collection).order_by("id"))
    for document in documents:
        document_delete(document=document, actor=actor)
    collection_id, name = collection.id, collection.name
    collection.delete()
    audit_record(
        kind=COLLECTION_DELETE,
        actor=actor,
        detail={"collection_id": collection_id, "name": name, "documents": len(documents)},
    )
    logger.info("collection %s deleted with %s documents", collection_id, len(documents))
    return len(documents)


def document_delete(*, document: Document, actor: Any) -> None:
    """Erase a document: its points, stored file, row and what stored answers took from it.

    Search stops finding it at once. Its text leaves the index files at the next
    erasure pass (``webapp.knowledge.erasure``); the audit log keeps its id and title.
    """
    require_admin(actor)
    Document.objects.filter(id=document.id).update(status=DocumentStatus.DELETING)
    for store in get_write_stores():  # both indexes while a new model's index is built
        store.delete_document(document.id)
    stored = Path(document.stored_path)
    if stored.is_file():
        stored.unlink()
    elif stored.is_dir():
        shutil.rmtree(stored)
    with transaction.atomic():
        answers = messages_erase_document(document_id=document.id)
        audit_record(
            kind=AuditEvent.Kind.DOCUMENT_DELETE,
            actor=actor,
            detail={"document_id": document.id, "title": document.title, "answers": answers},
        )
        document.delete()
    logger.info("document %s deleted (%s stored answers erased)", document.id, answers)


DOCUMENT_RENAME = "document.rename"  # audit kind (a plain string: no migration of the choices)


def document_rename(*, document: Document, title: str, actor: Any) -> Document:
    """An administrator's title, kept from then on; the passages get it at a re-index, queued.

    Refused while the document is being indexed: that run would write the old title back.
    """
    require_admin(actor)
    title = display_text(title or "")[:MAX_TITLE_CHARS]
    if not title:
        raise ValidationError(gettext_noop("A document needs a title."))
    if document.status in IN_PROGRESS_STATUSES:
        raise ValidationError(
            gettext_noop("The document is being indexed; rename it when it is done.")
        )
    old = document.title
    with transaction.atomic():
        fields = {"title": title, "title_source": TitleSource.ADMIN}
        Document.objects.filter(id=document.id).update(**fields, **requeue_fields())
        transaction.on_commit(lambda: enqueue_ingest(document.id))
        audit_record(
            kind=DOCUMENT_RENAME,
            actor=actor,
            detail={"document_id": document.id, "title": title, "old_title": old},
        )
    document.title, document.title_source = title, TitleSource.ADMIN
    return document


DOCUMENT_GROUPS = "document.groups"  # audit kind (a plain string: no migration of the choices)


def document_set_groups(*, document: Document, group_ids: Iterable[int], actor: Any) -> None:
    """Restrict one document to some of its collection's groups; no groups lifts the restriction.

    The document's chunks get the new group ids at once (payload only, no re-embedding).
    """
    require_admin(actor)
    collection_ids = set(document.collection.allowed_groups.values_list("id", flat=True))
    chosen = set(group_ids)
    if not chosen <= collection_ids:
        raise ValidationError(
            gettext_noop("A document can only be restricted to groups of its collection.")
        )
    document.allowed_groups.set(Group.objects.filter(id__in=chosen))
    for store in get_write_stores():
        store.set_document_groups(document.id, list(document_reader_group_ids(document)))
    audit_record(
        kind=DOCUMENT_GROUPS,
        actor=actor,
        detail={"document_id": document.id, "group_ids": sorted(chosen)},
    )
