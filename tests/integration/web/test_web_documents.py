"""Opening documents: only for readers of their collection, and always audited."""

from __future__ import annotations

import re

import pytest

from tests.integration.web.conftest import PDF_BYTES
from webapp.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    # Exhausting the stream lets the test client close the file (and keeps the test database open).
    return b"".join(response.streaming_content)


def _without_csrf(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def test_member_downloads_a_pdf_inline_and_it_is_audited(client_as, member, hr_pdf):
    response = client_as(member).get(f"/documents/{hr_pdf.id}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Employee handbook.pdf"'
    assert _body(response) == PDF_BYTES
    events = list(AuditEvent.objects.filter(kind=AuditEvent.Kind.DOCUMENT_DOWNLOAD))
    assert [(e.actor_id, e.detail) for e in events] == [(member.id, {"document_id": hr_pdf.id})]


def test_outsider_gets_404_and_nothing_is_audited(client_as, outsider, hr_pdf):
    response = client_as(outsider).get(f"/documents/{hr_pdf.id}/download")

    assert response.status_code == 404
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.DOCUMENT_DOWNLOAD).count() == 0


def test_unknown_document_looks_the_same_as_a_forbidden_one(client_as, outsider, hr_pdf):
    client = client_as(outsider)
    forbidden = client.get(f"/documents/{hr_pdf.id}/download")
    unknown = client.get(f"/documents/{hr_pdf.id + 1000}/download")

    assert (forbidden.status_code, unknown.status_code) == (404, 404)
    assert _without_csrf(forbidden.content) == _without_csrf(unknown.content)


def test_staff_may_open_any_document(client_as, admin_user, hr_pdf):
    response = client_as(admin_user).get(f"/documents/{hr_pdf.id}/download")

    assert response.status_code == 200
    assert _body(response) == PDF_BYTES


def test_other_formats_download_as_attachments(client_as, member, hr_collection, make_document):
    page = b"<html><body><script>alert(1)</script></body></html>"
    document = make_document(hr_collection, page, filename="intranet.html", mime_type="text/html")

    response = client_as(member).get(f"/documents/{document.id}/download")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="intranet.html"'
    assert _body(response) == page


def test_missing_stored_file_is_404(client_as, member, hr_pdf):
    hr_pdf.stored_path = hr_pdf.stored_path + "-gone"
    hr_pdf.save(update_fields=["stored_path"])

    assert client_as(member).get(f"/documents/{hr_pdf.id}/download").status_code == 404
