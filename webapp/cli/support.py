"""Glue between the CLI's arguments and the services (names to objects)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from webapp.accounts.services import group_ensure, user_get
from webapp.accounts.services import user_upsert as user_upsert
from webapp.core.permissions import SYSTEM
from webapp.knowledge.models import Collection, Document
from webapp.knowledge.services import collection_create, document_create_from_path

__all__ = [
    "collection_get_or_create",
    "collection_ids",
    "collection_named",
    "documents_progress",
    "documents_queue",
    "user_get",
    "user_named",
    "user_upsert",
]


def collection_get_or_create(*, name: str, group_names: tuple[str, ...]) -> Collection:
    """The named collection; created readable by ``group_names`` when missing."""
    existing = Collection.objects.filter(name=name).first()
    if existing is not None:
        return existing
    groups = group_ensure(names=group_names)
    return collection_create(name=name, group_ids=[g.id for g in groups], actor=SYSTEM)


def user_named(username: str) -> Any:
    """The user with this username (active or not); a command-line error when there is none."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


def collection_named(name: str) -> Collection:
    """The named collection; a command-line error when there is none."""
    from webapp.knowledge.selectors import collection_get_by_name

    collection = collection_get_by_name(name=name)
    if collection is None:
        raise click.ClickException(f"no such collection: {name}")
    return collection


def collection_ids(names: tuple[str, ...]) -> list[int] | None:
    """Ids of the named collections (None = all)."""
    if not names:
        return None
    return list(Collection.objects.filter(name__in=names).values_list("id", flat=True))


def documents_queue(*, collection: Collection, paths: list[Path]) -> list[int]:
    """Queue files; an identical file already in the collection is not queued again."""
    from django.db import transaction

    ids = []
    for path in paths:
        with transaction.atomic():
            document, _created = document_create_from_path(
                collection=collection, path=path, actor=SYSTEM
            )
        ids.append(document.id)
    return list(dict.fromkeys(ids))


def documents_progress(document_ids: list[int]) -> list[dict[str, Any]]:
    """Status rows of these documents, in the given order."""
    # Only these columns: polled while the worker indexes, in the same process when embedded.
    fields = ("id", "title", "status", "progress_done", "progress_total", "error_message")
    rows = {
        row["id"]: {**row, "error": row.pop("error_message")}
        for row in Document.objects.filter(id__in=document_ids).values(*fields)
    }
    return [rows[i] for i in document_ids if i in rows]
