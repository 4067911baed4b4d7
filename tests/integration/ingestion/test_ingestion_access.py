"""A collection's group change: the database at once, the points through the worker task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tests.support.documents import LEAVE_SENTENCE, make_handbook_pdf, wait_for_groups_applied
from webapp.chat.services import search_passages
from webapp.core.errors import NotFoundError
from webapp.knowledge import index_engines
from webapp.knowledge.access import collection_groups_apply, collections_requeue_unapplied_groups
from webapp.knowledge.models import Collection
from webapp.knowledge.selectors import access_collection
from webapp.knowledge.services import collection_set_groups
from worker.contracts import APPLY_COLLECTION_GROUPS, collection_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def point_groups(document_id: int) -> set[tuple[int, ...]]:
    return {
        p.meta.group_ids
        for page in index_engines.get_store().document_points(document_id)
        for p in page
    }


@pytest.fixture
def indexed(tmp_path, reader, make_collection, upload, wait_indexed):
    """The handbook indexed in a collection readable by the readers group."""
    collection = make_collection("HR")
    document = upload(collection, make_handbook_pdf(tmp_path / "handbook.pdf"))
    assert wait_indexed([document.id])[document.id].status == "indexed"
    return collection, document


@pytest.fixture
def engineer() -> User:
    user = User.objects.create_user("acl-engineer", password="x")
    user.groups.add(Group.objects.create(name="acl-eng"))
    return user


def _finds(user, collection) -> bool:
    return any(
        p.collection_id == collection.id
        for p in search_passages(user=user, query=LEAVE_SENTENCE, collection_ids=[collection.id])
    )


def test_group_change_reaches_the_points_through_the_worker_without_embedding(
    indexed, admin, reader, engineer, counting
):
    collection, document = indexed
    eng = engineer.groups.get()
    readers = Group.objects.get(name="readers")
    ids_before = index_engines.get_store().point_ids(document_id=document.id)
    assert _finds(reader, collection) and not _finds(engineer, collection)

    with transaction.atomic():
        collection_set_groups(collection=collection, group_ids=[eng.id], actor=admin)
        # The database changes at once; the points wait for the commit and the worker.
        assert list(collection.allowed_groups.all()) == [eng]
        assert point_groups(document.id) == {(0, readers.id)}
    with pytest.raises(NotFoundError):
        access_collection(user=reader, collection_id=collection.id)
    # Searches are scoped to the collections the database lets the user read: a removed
    # group loses the passages at once, before the worker has rewritten the points.
    assert not _finds(reader, collection)

    applied = wait_for_groups_applied(collection.id)

    assert applied.groups_applied_version == applied.groups_version == 1
    assert point_groups(document.id) == {(0, eng.id)}
    assert not _finds(reader, collection)
    assert _finds(engineer, collection)
    assert index_engines.get_store().point_ids(document_id=document.id) == ids_before
    assert counting.passages == 0


def test_applying_twice_or_late_converges_on_the_current_groups(indexed, admin, engineer):
    collection, document = indexed
    eng = engineer.groups.get()
    with transaction.atomic():
        collection_set_groups(collection=collection, group_ids=[eng.id], actor=admin)
    with transaction.atomic():
        collection_set_groups(collection=collection, group_ids=[], actor=admin)
    wait_for_groups_applied(collection.id)

    # A redelivered or late task (say the first one's) writes the current groups again.
    payload = collection_payload(collection.id)
    assert collection_groups_apply(**payload) == 2
    assert collection_groups_apply(**payload) == 2

    assert point_groups(document.id) == {(0,)}
    assert not _finds(engineer, collection)
    assert collection_groups_apply(collection_id=collection.id + 1000) is None
    assert APPLY_COLLECTION_GROUPS == "enclave.apply_collection_groups"


def test_a_lost_group_change_is_requeued_by_the_reconciler(indexed, reader, engineer):
    collection, document = indexed
    eng = engineer.groups.get()
    # A change whose message never reached a worker (process killed after commit).
    readers = Group.objects.get(name="readers")
    collection.allowed_groups.set([eng])
    Collection.objects.filter(id=collection.id).update(
        groups_version=F("groups_version") + 1,
        groups_changed_at=timezone.now() - timedelta(minutes=10),
    )
    assert point_groups(document.id) == {(0, readers.id)}
    # The points still name the readers, but the database no longer does.
    assert not _finds(reader, collection)
    assert not _finds(engineer, collection)

    with transaction.atomic():
        assert collections_requeue_unapplied_groups(older_than_s=300) == [collection.id]
    wait_for_groups_applied(collection.id)

    assert point_groups(document.id) == {(0, eng.id)}
    assert not _finds(reader, collection) and _finds(engineer, collection)
    assert collections_requeue_unapplied_groups(older_than_s=0) == []
