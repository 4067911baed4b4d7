"""The console renames and deletes a collection and renames a document (admins only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.audit.models import AuditEvent
from webapp.knowledge.models import Collection, Document, DocumentStatus

pytestmark = pytest.mark.django_db


def test_an_admin_renames_a_collection_from_its_page(client_as, admin_user, hr_collection):
    client = client_as(admin_user)
    page = client.get(f"/console/collections/{hr_collection.id}/").content.decode()
    assert 'id="collection-rename-form"' in page

    response = client.post(f"/console/collections/{hr_collection.id}/rename", {"name": " People "})

    assert response.status_code == 302
    hr_collection.refresh_from_db()
    assert hr_collection.name == "People"
    assert "Collection renamed to “People”." in client.get(response["Location"]).content.decode()
    event = AuditEvent.objects.get(kind="collection.rename")
    assert event.detail == {
        "collection_id": hr_collection.id,
        "name": "People",
        "old_name": "HR policies",
    }


def test_a_collection_rename_to_a_taken_or_empty_name_changes_nothing(
    client_as, admin_user, hr_collection, finance_collection
):
    client = client_as(admin_user)
    for name in ("Finance", "   "):
        client.post(f"/console/collections/{hr_collection.id}/rename", {"name": name})
    hr_collection.refresh_from_db()
    assert hr_collection.name == "HR policies"
    assert not AuditEvent.objects.filter(kind="collection.rename").exists()
    pt = client.post(
        f"/console/collections/{hr_collection.id}/rename", {"name": ""}, HTTP_ACCEPT_LANGUAGE="pt"
    )
    assert (
        "Uma coleção precisa de um nome."
        in client.get(pt["Location"], HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    )


def test_an_admin_deletes_a_collection_after_a_confirmation_page(
    client_as, admin_user, hr_collection, hr_pdf
):
    client = client_as(admin_user)
    stored = hr_pdf.stored_path

    confirm = client.get(f"/console/collections/{hr_collection.id}/delete").content.decode()
    assert "1 document leaves the index and the disk." in confirm
    assert Collection.objects.filter(id=hr_collection.id).exists()  # asking is not deleting

    response = client.post(f"/console/collections/{hr_collection.id}/delete")

    assert response.status_code == 302 and response["Location"] == "/console/"
    assert not Collection.objects.filter(id=hr_collection.id).exists()
    assert not Document.objects.filter(id=hr_pdf.id).exists()
    assert not Path(stored).exists()
    event = AuditEvent.objects.get(kind="collection.delete")
    assert event.detail == {
        "collection_id": hr_collection.id,
        "name": "HR policies",
        "documents": 1,
    }


def test_an_admin_renames_a_document_and_it_is_queued_to_carry_the_title(
    client_as, admin_user, hr_pdf, django_capture_on_commit_callbacks
):
    client = client_as(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/console/documents/{hr_pdf.id}/rename", {"title": "Handbook 2025"})

    assert response.status_code == 302
    hr_pdf.refresh_from_db()
    assert (hr_pdf.title, hr_pdf.title_source, hr_pdf.status) == (
        "Handbook 2025",
        "admin",
        DocumentStatus.QUEUED,
    )
    assert len(callbacks) == 1  # the re-index that writes the title onto its passages
    event = AuditEvent.objects.get(kind="document.rename")
    assert event.detail == {
        "document_id": hr_pdf.id,
        "title": "Handbook 2025",
        "old_title": "Employee handbook",
    }


def test_a_document_being_indexed_is_not_renamed(client_as, admin_user, hr_pdf):
    Document.objects.filter(id=hr_pdf.id).update(status=DocumentStatus.EMBEDDING)
    client_as(admin_user).post(f"/console/documents/{hr_pdf.id}/rename", {"title": "Other"})
    hr_pdf.refresh_from_db()
    assert hr_pdf.title == "Employee handbook"
    assert not AuditEvent.objects.filter(kind="document.rename").exists()


def test_members_cannot_rename_or_delete_and_nothing_happens(
    client_as, member, hr_collection, hr_pdf
):
    client = client_as(member)
    responses = [
        client.post(f"/console/collections/{hr_collection.id}/rename", {"name": "Mine"}),
        client.get(f"/console/collections/{hr_collection.id}/delete"),
        client.post(f"/console/collections/{hr_collection.id}/delete"),
        client.post(f"/console/documents/{hr_pdf.id}/rename", {"title": "Mine"}),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    hr_collection.refresh_from_db()
    hr_pdf.refresh_from_db()
    assert (hr_collection.name, hr_pdf.title) == ("HR policies", "Employee handbook")
    assert AuditEvent.objects.count() == 0
