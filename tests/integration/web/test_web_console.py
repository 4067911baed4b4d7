"""The admin console: hidden from non-staff, collection creation, documents and live status."""

from __future__ import annotations

import pytest

from webapp.audit.models import AuditEvent
from webapp.knowledge.models import Collection, DocumentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_paths(hr_collection, hr_pdf) -> list[str]:
    return [
        "/console/",
        f"/console/collections/{hr_collection.id}/",
        f"/console/documents/status?ids={hr_pdf.id}",
    ]


def test_non_staff_get_404_everywhere_in_the_console(client_as, member, console_paths):
    client = client_as(member)

    assert [client.get(path).status_code for path in console_paths] == [404, 404, 404]


def test_non_staff_cannot_create_collections_and_nothing_is_created(client_as, member, hr_group):
    response = client_as(member).post("/console/", {"name": "Secret", "groups": [hr_group.id]})

    assert response.status_code == 404
    assert not Collection.objects.filter(name="Secret").exists()
    assert AuditEvent.objects.count() == 0


def test_non_staff_cannot_retry_or_delete_documents(client_as, member, hr_pdf):
    client = client_as(member)

    assert client.post(f"/console/documents/{hr_pdf.id}/retry").status_code == 404
    assert client.post(f"/console/documents/{hr_pdf.id}/delete").status_code == 404
    hr_pdf.refresh_from_db()
    assert hr_pdf.status == DocumentStatus.INDEXED


def test_topbar_links_the_console_for_staff_only(client_as, admin_user, member):
    assert 'href="/console/"' in client_as(admin_user).get("/").content.decode()
    assert 'href="/console/"' not in client_as(member).get("/").content.decode()


def test_staff_create_a_collection_with_the_chosen_groups(
    client_as, admin_user, hr_group, finance_group
):
    Collection.objects.create(name="Unrelated")

    response = client_as(admin_user).post(
        "/console/",
        {
            "name": "  Legal  ",
            "description": "Contracts",
            "groups": [hr_group.id, finance_group.id],
        },
    )

    collection = Collection.objects.get(name="Legal")
    assert response.status_code == 302
    assert response["Location"] == f"/console/collections/{collection.id}/"
    assert collection.description == "Contracts"
    assert sorted(collection.allowed_groups.values_list("name", flat=True)) == ["finance", "hr"]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.COLLECTION_CREATE)
    assert event.detail == {
        "collection_id": collection.id,
        "name": "Legal",
        "group_ids": sorted([hr_group.id, finance_group.id]),
    }


def test_duplicate_collection_name_is_shown_on_the_form(client_as, admin_user, hr_collection):
    response = client_as(admin_user).post("/console/", {"name": "HR policies"})

    assert response.status_code == 400
    assert "A collection named &#x27;HR policies&#x27; already exists." in response.content.decode()
    assert Collection.objects.filter(name="HR policies").count() == 1


def test_console_lists_collections_with_their_counts(
    client_as, admin_user, finance_collection, hr_pdf, failed_scan
):
    response = client_as(admin_user).get("/console/")

    rows = {
        c.name: (c.document_count, c.indexed_count, c.failed_count)
        for c in response.context["collections"]
    }
    assert rows == {"Finance": (0, 0, 0), "HR policies": (2, 1, 1)}
    assert 'href="/console/users/"' in response.content.decode()


def test_collection_page_rows_carry_status_progress_and_errors(
    client_as, admin_user, hr_collection, hr_pdf, failed_scan, running
):
    html = client_as(admin_user).get(f"/console/collections/{hr_collection.id}/").content.decode()

    assert f'<tr data-document-id="{running.id}" data-status="embedding">' in html
    assert f'<tr data-document-id="{hr_pdf.id}" data-status="indexed">' in html
    assert '<span class="badge doc-status status-embedding">Embedding</span>' in html
    assert 'class="doc-progress" max="100" value="75"' in html
    assert '<p class="doc-error">The PDF has no text layer.</p>' in html
    assert f'action="/console/documents/{failed_scan.id}/retry"' in html
    assert '<input type="file" name="files" id="upload-files" multiple' in html


def test_status_endpoint_returns_exact_values(client_as, admin_user, hr_pdf, running):

    response = client_as(admin_user).get(
        f"/console/documents/status?ids={hr_pdf.id},{running.id},999999"
    )

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    documents = sorted(response.json()["documents"], key=lambda d: d["id"])
    assert documents == [
        {
            "id": hr_pdf.id,
            "status": "indexed",
            "progress_done": 0,
            "progress_total": 0,
            "progress_percent": 100,
            "chunk_count": 3,
            "error": "",
        },
        {
            "id": running.id,
            "status": "embedding",
            "progress_done": 3,
            "progress_total": 4,
            "progress_percent": 75,
            "chunk_count": 0,
            "error": "",
        },
    ]


def test_a_failed_document_shows_no_full_bar_and_only_it_offers_retry(
    client_as, admin_user, hr_collection, hr_pdf, make_document
):
    failed = make_document(
        hr_collection,
        b"scanned",
        filename="scan.pdf",
        mime_type="application/pdf",
        status=DocumentStatus.FAILED,
        progress_done=3,  # parsed its three pages, then found no text
        progress_total=3,
        error_message="The PDF has no text layer.",
    )

    html = client_as(admin_user).get(f"/console/collections/{hr_collection.id}/").content.decode()
    rows = {
        doc_id: html.split(f'<tr data-document-id="{doc_id}"')[1].split("</tr>")[0]
        for doc_id in (failed.id, hr_pdf.id)
    }
    status = client_as(admin_user).get(f"/console/documents/status?ids={failed.id}").json()

    assert 'class="doc-progress" max="100" value="0"' in rows[failed.id]
    assert 'value="100"' not in rows[failed.id]
    assert '" hidden>0%</progress>' in rows[failed.id]
    assert '">100%</progress>' in rows[hr_pdf.id]
    assert 'class="inline-form doc-retry-form">' in rows[failed.id]
    assert 'class="inline-form doc-retry-form" hidden>' in rows[hr_pdf.id]
    assert status["documents"][0]["progress_percent"] == 0


def test_status_endpoint_counts_the_collections_documents_by_status(
    client_as, admin_user, hr_collection, hr_pdf, running, make_document
):
    make_document(
        hr_collection, b"x", filename="x.pdf", mime_type="application/pdf", status="failed"
    )
    client = client_as(admin_user)

    body = client.get(
        f"/console/documents/status?ids={running.id}&collection={hr_collection.id}"
    ).json()
    running.status = DocumentStatus.INDEXED
    running.save()
    later = client.get(f"/console/documents/status?ids=&collection={hr_collection.id}").json()
    html = client.get(f"/console/collections/{hr_collection.id}/?status=failed").content.decode()

    assert body["counts"] == {"in_progress": 1, "indexed": 1, "failed": 1, "all": 3}
    assert later["counts"] == {"in_progress": 0, "indexed": 2, "failed": 1, "all": 3}
    assert '<span class="count" data-count="indexed">2</span>' in html
    assert '<span class="count" data-count="all">3</span>' in html
    assert client.get("/console/documents/status?ids=&collection=999999").status_code == 404


def test_status_endpoint_rejects_malformed_ids(client_as, admin_user):
    response = client_as(admin_user).get("/console/documents/status?ids=1,two")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "ids must be comma-separated integers.",
    }


def test_upload_without_files_explains_what_to_do(client_as, admin_user, hr_collection):
    response = client_as(admin_user).post(
        f"/console/collections/{hr_collection.id}/upload", follow=True
    )

    assert response.redirect_chain == [(f"/console/collections/{hr_collection.id}/", 302)]
    assert "Choose at least one file to upload." in response.content.decode()
    assert hr_collection.documents.count() == 0
