"""Scanned documents along the user's path: uploaded, read by OCR, asked, cited by page.

The scans are drawn in the test (tests/support/scans.py): an image-only PDF
with an English and a Portuguese page, and a PNG. Without Tesseract a scan
fails with a reason an administrator can act on, and the worker goes on.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.integration.ingestion.test_ingestion_uploads import (
    api_client,
    api_upload,
    console_upload,
)
from tests.support.scans import (
    ENGLISH_SCAN,
    PORTUGUESE_SCAN,
    make_scan_image,
    make_scanned_pdf,
    require_tesseract,
)
from webapp.accounts.services import token_create
from webapp.chat.services import search_passages
from webapp.config.settings import reset_settings_cache

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

COVER = ["Operations manual", "Warehouse procedures, second edition."]


def _ask(reader, question: str) -> dict:
    _token, secret = token_create(user=reader, name="ask", scopes=["read", "ask"], actor=reader)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        "/api/v1/ask", {"question": question}, content_type="application/json"
    )
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_a_scanned_pdf_uploaded_through_the_api_answers_with_its_page(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    require_tesseract()
    collection = make_collection("Scans")
    scan = make_scanned_pdf(tmp_path / "operations.pdf", [COVER, ENGLISH_SCAN, PORTUGUESE_SCAN])

    sent = api_upload(api_client(admin), collection, scan, "operations.pdf")
    row = wait_indexed([sent["id"]])[sent["id"]]

    assert (row.status, row.error_message) == ("indexed", "")
    assert row.progress_done == row.progress_total == row.chunk_count >= 3
    english = _ask(reader, "How often do forklift drivers renew their licence?")
    assert (english["sources"][0]["document_id"], english["sources"][0]["page"]) == (row.id, 2)
    assert "eighteen months" in english["answer"]
    portuguese = _ask(reader, "O que exige o reembolso das despesas de viagem?")
    assert (portuguese["sources"][0]["document_id"], portuguese["sources"][0]["page"]) == (
        row.id,
        3,
    )
    assert "recibos originais" in portuguese["answer"]


def test_a_photographed_notice_uploaded_in_the_console_is_searchable(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    require_tesseract()
    collection = make_collection("Notices")
    notice = make_scan_image(tmp_path / "notice.png", [ENGLISH_SCAN], fmt="PNG")
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/console/collections/{collection.id}/").content.decode()
    assert 'accept=".csv,.docx,.eml,.htm,.html,.jpeg,.jpg,.markdown,.md,.pdf,.png,' in page

    document = console_upload(admin, collection, {"notice.png": notice})["notice.png"]
    row = wait_indexed([document.id])[document.id]

    assert (row.status, row.title) == ("indexed", "notice")
    hit = search_passages(user=reader, query="loading bay closing time on weekdays")[0]
    assert (hit.document_id, hit.page) == (row.id, 1)
    assert "seven in the evening" in hit.text


@pytest.fixture
def without_tesseract(monkeypatch):
    """Point the live worker at a missing Tesseract (it reads its settings per document)."""
    monkeypatch.setenv("ENCLAVE_OCR_COMMAND", "/nonexistent/tesseract")
    reset_settings_cache()
    yield
    monkeypatch.delenv("ENCLAVE_OCR_COMMAND")
    reset_settings_cache()


def test_without_tesseract_a_scan_fails_with_its_reason_and_the_worker_goes_on(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker, without_tesseract
):
    collection = make_collection("No OCR")
    scan = make_scanned_pdf(tmp_path / "scan.pdf", [ENGLISH_SCAN])
    notes = tmp_path / "notes.txt"
    notes.write_text("Visitors sign the register at the front desk of the Braga office.\n")

    documents = console_upload(admin, collection, {"scan.pdf": scan, "notes.txt": notes})
    rows = wait_indexed([d.id for d in documents.values()])

    failed = rows[documents["scan.pdf"].id]
    assert (failed.status, failed.error_code) == ("failed", "empty_document")
    assert failed.error_message == (
        "The PDF is scanned: it has no text layer and OCR is not installed (tesseract-ocr)."
    )
    assert rows[documents["notes.txt"].id].status == "indexed"
    assert live_worker._thread.is_alive()
    hit = search_passages(user=reader, query="visitors register front desk Braga")[0]
    assert hit.document_id == documents["notes.txt"].id
