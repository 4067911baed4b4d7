"""Helpers for ingestion tests: an admin, collections and uploads through the services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from tests.support.embedding import CountingEmbedder
from webapp.core import engines
from webapp.knowledge import index_engines
from webapp.knowledge.models import Collection, Document
from webapp.knowledge.services import collection_create, document_create


@pytest.fixture
def admin() -> User:
    return User.objects.create_user("ingest-admin", password="x", is_staff=True)


@pytest.fixture
def reader() -> User:
    """A user in the group every test collection is readable by."""
    user = User.objects.create_user("ingest-reader", password="x")
    user.groups.add(Group.objects.get_or_create(name="readers")[0])
    return user


@pytest.fixture
def make_collection(admin: User, reader: User) -> Callable[[str], Collection]:
    group = Group.objects.get(name="readers")

    def make(name: str) -> Collection:
        return collection_create(name=name, group_ids=[group.id], actor=admin)

    return make


@pytest.fixture
def upload(admin: User) -> Callable[[Collection, Path], Document]:
    """Queue a file as the admin would (after commit, like the web upload)."""

    def send(collection: Collection, path: Path) -> Document:
        with transaction.atomic(), path.open("rb") as handle:
            document, _created = document_create(
                collection=collection, filename=path.name, content=handle, actor=admin
            )
        return document

    return send


@pytest.fixture
def counting(monkeypatch) -> CountingEmbedder:
    """The real embedder, counted, as the worker's indexer gets it."""
    counter = CountingEmbedder(index_engines.get_embedder())
    real = engines.embedder_for

    def counted(model_dir: str, backend: str | None = None):
        embedder = real(model_dir, backend)
        return counter if embedder is counter.inner else embedder

    monkeypatch.setattr(engines, "embedder_for", counted)
    return counter
