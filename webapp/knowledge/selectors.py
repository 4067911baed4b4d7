"""Reads of collections and documents, always through the permission rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_noop

from webapp.core.compiled import CompiledRead
from webapp.core.errors import NotFoundError
from webapp.core.permissions import payload_group_ids, user_allowed_group_ids, user_is_admin
from webapp.knowledge.models import IN_PROGRESS_STATUSES, Collection, Document, DocumentStatus


def collection_list_visible_to(*, user: Any) -> QuerySet[Collection]:
    """Collections the user may read (all of them for admins), with document counts.

    The counts (``document_count``, ``indexed_count``, ``failed_count``) take only
    documents the user may read: one restricted to other groups is not counted
    either, so its existence does not show.
    """
    if user_is_admin(user):
        readable = Q()
    elif not getattr(user, "is_authenticated", False):
        return Collection.objects.none()
    else:
        group_ids = list(user.groups.values_list("id", flat=True))
        readable = Q(documents__allowed_groups__isnull=True) | Q(
            documents__allowed_groups__in=group_ids
        )
    collections = Collection.objects.annotate(
        document_count=Count("documents", filter=readable, distinct=True),
        indexed_count=Count(
            "documents", filter=readable & Q(documents__status="indexed"), distinct=True
        ),
        failed_count=Count(
            "documents", filter=readable & Q(documents__status="failed"), distinct=True
        ),
    ).order_by("name")
    if user_is_admin(user):
        return collections
    return collections.filter(allowed_groups__in=user.groups.all()).distinct()


@dataclass(frozen=True)
class SearchScope:
    """What one search may reach.

    ``group_ids`` is the filter Qdrant applies to every point (the read rule).
    ``collection_ids`` comes from the database and also closes the seconds between a
    group's removal and the worker rewriting the points; None means no collection
    filter (admins asking for everything).
    """

    group_ids: list[int]
    collection_ids: list[int] | None


# A member's groups, each with the collections it opens (one row per pair; a group that
# opens none has one row with None). Compiled once per database: webapp/core/compiled.py.
_GROUPS_AND_COLLECTIONS = CompiledRead(
    lambda user_id: Group.objects.filter(user=user_id).values_list("id", "collections__id")
)


def search_scope_for(*, user: Any, collection_ids: Sequence[int] | None) -> SearchScope:
    """The groups and collections a search by ``user`` may reach, ``collection_ids`` or all.

    A member costs one query: their groups, each with the collections it opens.
    This runs before every search, so it reads ids only.
    """
    requested = sorted({int(c) for c in collection_ids}) if collection_ids else None
    if user_is_admin(user):
        return SearchScope(user_allowed_group_ids(user), requested)
    if not getattr(user, "is_authenticated", False):
        return SearchScope([], [])
    rows = _GROUPS_AND_COLLECTIONS.rows(user.pk)
    group_ids = user_allowed_group_ids(user, member_of=(group_id for group_id, _ in rows))
    if not group_ids:  # no group, or an inactive account
        return SearchScope([], [])
    readable = {collection_id for _, collection_id in rows if collection_id is not None}
    if requested is not None:
        readable.intersection_update(requested)
    return SearchScope(group_ids, sorted(readable))


def access_collection(*, user: Any, collection_id: int) -> Collection:
    """The collection if the user may read it; NotFoundError otherwise (existence not revealed)."""
    try:
        return collection_list_visible_to(user=user).get(id=collection_id)
    except (Collection.DoesNotExist, ValueError, TypeError):
        raise NotFoundError(gettext_noop("Collection not found.")) from None


def collection_get_by_name(*, name: str) -> Collection | None:
    """A collection by its unique name (admin tools)."""
    return Collection.objects.filter(name=name).first()


def document_reader_group_ids(document: Document) -> tuple[int, ...]:
    """The group ids stored on a document's chunks: its own restriction within its collection's."""
    collection_groups = set(document.collection.allowed_groups.values_list("id", flat=True))
    restricted = set(document.allowed_groups.values_list("id", flat=True))
    return payload_group_ids(restricted & collection_groups if restricted else collection_groups)


def document_list_visible_to(*, user: Any, collection_id: int | None = None) -> QuerySet[Document]:
    """Documents the user may read (collection and document restriction), newest first."""
    documents = Document.objects.select_related("collection").filter(
        collection__in=collection_list_visible_to(user=user)
    )
    if not user_is_admin(user):
        documents = documents.filter(
            Q(allowed_groups__isnull=True) | Q(allowed_groups__in=user.groups.all())
        ).distinct()
    if collection_id is not None:
        documents = documents.filter(collection_id=collection_id)
    return documents


def document_status_counts(*, user: Any, collection_id: int) -> dict[str, int]:
    """How many of a collection's readable documents are in progress, indexed, failed, in all."""
    ids = document_list_visible_to(user=user, collection_id=collection_id).values("id")
    return Document.objects.filter(id__in=ids).aggregate(
        in_progress=Count("id", filter=Q(status__in=IN_PROGRESS_STATUSES)),
        indexed=Count("id", filter=Q(status=DocumentStatus.INDEXED)),
        failed=Count("id", filter=Q(status=DocumentStatus.FAILED)),
        all=Count("id"),
    )


def access_document(*, user: Any, document_id: int) -> Document:
    """The document if the user may read it; NotFoundError otherwise (existence not revealed)."""
    try:
        return document_list_visible_to(user=user).get(id=document_id)
    except (Document.DoesNotExist, ValueError, TypeError):
        raise NotFoundError(gettext_noop("Document not found.")) from None


def document_status_snapshot(*, user: Any, document_ids: list[int]) -> list[dict[str, Any]]:
    """Status and progress of several documents, for live progress views."""
    rows = document_list_visible_to(user=user).filter(id__in=document_ids)
    return [
        {
            "id": d.id,
            "status": d.status,
            "progress_done": d.progress_done,
            "progress_total": d.progress_total,
            "progress_percent": d.progress_percent,
            "chunk_count": d.chunk_count,
            "error": d.error_message,
            "error_code": d.error_code,
        }
        for d in rows
    ]
