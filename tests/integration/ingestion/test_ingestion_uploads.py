"""Documents as they come, through the console and the REST API, then searched and asked.

Uploads are stored under a bare uuid (no extension): every format must still be
read (openpyxl refused such a name, so every valid workbook failed "damaged").
A PDF pypdf cannot open is read with PDFium; titles come from the document;
control characters never reach a name or a title; a file over a parsing limit
fails alone with the limit it hit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.integration.ingestion.files import EDGE_ROOT, make_deck, make_workbook
from tests.support.documents import BADGE_SENTENCE, make_pdf, make_security_docx
from tests.support.parsing_files import (
    make_array_limit_pdf,
    make_low_ratio_docx_bomb,
    make_titled_docx,
    make_titled_pptx,
)
from webapp.accounts.services import token_create
from webapp.chat.events import SourcesEvent
from webapp.chat.services import conversation_ask, search_passages
from webapp.config.settings import reset_settings_cache
from webapp.knowledge.index_engines import get_store
from webapp.knowledge.models import Document
from webapp.knowledge.services import document_retry

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

VALID_WORKBOOKS = {
    "emoji.xlsx": ("indexed", ""),
    "more-than-1k-cells.xlsx": ("indexed", ""),
    "xlsx-subtable-cases.xlsx": ("indexed", ""),
    "empty.xlsx": ("failed", "empty_document"),  # one empty cell: nothing to index, not damaged
}
CANARY = "XLSXCANARY forklift certificates expire after thirty-six months"
RLO = "\u202e"


def console_upload(admin, collection, paths: dict[str, Path]) -> dict[str, Document]:
    """POST the files to the console's upload form as a browser does; rows by file name."""
    client = Client()
    client.force_login(admin)
    files = [SimpleUploadedFile(name, path.read_bytes()) for name, path in paths.items()]
    response = client.post(
        reverse("console-collection-upload", args=[collection.id]), {"files": files}
    )
    assert response.status_code == 302, response.content[:500]
    return {d.filename: d for d in Document.objects.filter(collection=collection)}


def api_client(admin) -> Client:
    _token, secret = token_create(
        user=admin, name="uploads", scopes=["ingest", "read"], actor=admin
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def api_upload(client: Client, collection, path: Path, name: str, **fields: str) -> dict:
    upload = SimpleUploadedFile(name, path.read_bytes())
    response = client.post(
        f"/api/v1/collections/{collection.id}/documents", {"file": upload, **fields}
    )
    assert response.status_code == 201, response.content[:500]
    return response.json()["document"]


def test_every_format_uploaded_through_the_console_is_read_from_its_extensionless_copy(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    collection = make_collection("Formats")
    (tmp_path / "page.html").write_text("<title>Parking</title><p>Bikes go in the basement.</p>")
    (tmp_path / "notes.md").write_text("# Canteen\n\nSoup is served on Mondays.\n")
    (tmp_path / "plain.txt").write_text("Desks are cleared every Friday evening.\n")
    (tmp_path / "rows.csv").write_text("Item,Amount\nLaptops,3\n")
    (tmp_path / "mail.eml").write_text("Subject: Fire drill\nFrom: a@example.com\n\nMonday.\n")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    files = {
        "safety.xlsx": make_workbook(tmp_path / "safety.xlsx", {"Training": [["Rule"], [CANARY]]}),
        "security.docx": make_security_docx(tmp_path / "security.docx"),
        "canteen.pptx": make_deck(tmp_path / "canteen.pptx", [("Canteen", "Soup daily.", "")]),
        **{p.name: p for p in tmp_path.iterdir() if p.suffix in {".html", ".md", ".txt"}},
        "rows.csv": tmp_path / "rows.csv",
        "mail.eml": tmp_path / "mail.eml",
        "old.doc": tmp_path / "old.doc",
    }
    expected = {name: ("indexed", "") for name in files} | {
        "old.doc": ("failed", "unsupported_format")
    }

    documents = console_upload(admin, collection, files)
    rows = wait_indexed([d.id for d in documents.values()], timeout_s=600)

    assert all(Path(d.stored_path).suffix == "" for d in documents.values())
    outcomes = {name: (rows[d.id].status, rows[d.id].error_code) for name, d in documents.items()}
    assert outcomes == expected
    for name, document in documents.items():
        row = rows[document.id]
        assert get_store().count(document_id=row.id) == row.chunk_count, name
    hit = search_passages(user=reader, query=CANARY)[0]
    assert (hit.document_id, hit.page, hit.heading) == (documents["safety.xlsx"].id, 1, "Training")
    assert hit.text == f"Rule: {CANARY}"


def test_valid_edge_case_workbooks_are_read_through_the_console(
    admin, make_collection, wait_indexed, live_worker
):
    if not EDGE_ROOT.is_dir():
        pytest.skip(f"shared evaluation data not found at {EDGE_ROOT} (set ENCLAVE_EVAL_ROOT)")
    collection = make_collection("Edge workbooks")
    files = {name: EDGE_ROOT / "unstructured" / name for name in VALID_WORKBOOKS}

    documents = console_upload(admin, collection, files)
    rows = wait_indexed([d.id for d in documents.values()])

    outcomes = {name: (rows[d.id].status, rows[d.id].error_code) for name, d in documents.items()}
    assert outcomes == VALID_WORKBOOKS
    assert rows[documents["empty.xlsx"].id].error_message == (
        "The Excel workbook has no extractable text."
    )
    cells = rows[documents["more-than-1k-cells.xlsx"].id]
    assert get_store().count(document_id=cells.id) == cells.chunk_count > 1


def test_a_pdf_pypdf_cannot_open_is_indexed_with_pdfium_and_cited_by_its_own_title(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    collection = make_collection("Filings")
    path = make_array_limit_pdf(tmp_path / "aldebaran-q3.pdf")

    document = console_upload(admin, collection, {"aldebaran-q3.pdf": path})["aldebaran-q3.pdf"]
    assert document.title == "aldebaran-q3"  # until the document names itself
    row = wait_indexed([document.id])[document.id]

    assert (row.status, row.error_message) == ("indexed", "")
    assert (row.title, row.title_source) == ("Form 10-Q Third Quarter 2026", "document")
    assert get_store().count(document_id=row.id) == row.chunk_count == 3
    hit = search_passages(user=reader, query="operating margin in the third quarter")[0]
    assert (hit.document_id, hit.page, hit.title) == (row.id, 2, "Form 10-Q Third Quarter 2026")
    events = list(conversation_ask(user=reader, question="What was the operating margin?"))
    sources = next(e for e in events if isinstance(e, SourcesEvent)).sources
    assert sources[0]["title"] == "Form 10-Q Third Quarter 2026"
    assert sources[0]["page"] == 2


def test_titles_come_from_the_document_unless_the_admin_gave_one(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    collection = make_collection("Titles")
    client = api_client(admin)
    uploads = {
        "travel.docx": (
            make_titled_docx(
                tmp_path / "travel.docx",
                core_title="Untitled",
                heading="Travel Policy",
                body="Trains are booked in second class for trips under four hours.",
            ),
            {},
        ),
        "q3.pptx": (
            make_titled_pptx(
                tmp_path / "q3.pptx",
                core_title="Third Quarter Results",
                slide_title="Agenda",
                body="Shipping volumes doubled in the Azores.",
            ),
            {},
        ),
        "intranet.html": (tmp_path / "intranet.html", {}),
        "memo.pdf": (
            make_pdf(tmp_path / "memo.pdf", [["The library closes at nine on Fridays."]]),
            {},
        ),
        "minutes.pdf": (
            make_array_limit_pdf(tmp_path / "minutes.pdf", title="Board Minutes March"),
            {"title": "Minutes as the admin named them"},
        ),
    }
    (tmp_path / "intranet.html").write_text(
        "<html><head><title>Bicycle Parking</title></head>"
        "<body><h1>Where</h1><p>Bicycles go in the basement of the Lisbon office.</p></body></html>"
    )
    sent = {
        name: api_upload(client, collection, path, name, **fields)
        for name, (path, fields) in uploads.items()
    }
    rows = wait_indexed([d["id"] for d in sent.values()])

    titles = {name: (rows[d["id"]].title, rows[d["id"]].title_source) for name, d in sent.items()}
    assert titles == {
        "travel.docx": ("Travel Policy", "document"),
        "q3.pptx": ("Third Quarter Results", "document"),
        "intranet.html": ("Bicycle Parking", "document"),
        "memo.pdf": ("memo", "filename"),  # reportlab writes "untitled"
        "minutes.pdf": ("Minutes as the admin named them", "admin"),
    }
    for query, name in [
        ("trains second class four hours", "travel.docx"),
        ("bicycles basement Lisbon", "intranet.html"),
        ("library closes Fridays", "memo.pdf"),
        ("operating margin third quarter", "minutes.pdf"),
    ]:
        hit = search_passages(user=reader, query=query)[0]
        assert (hit.document_id, hit.title) == (sent[name]["id"], titles[name][0]), query
    listed = client.get(f"/api/v1/documents/{sent['travel.docx']['id']}").json()
    assert listed["title"] == "Travel Policy"


def test_control_characters_in_names_and_titles_are_removed_at_upload(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    collection = make_collection("Names")
    spoof = tmp_path / "spoof.txt"
    spoof.write_text("Expense claims are paid on the fifteenth of each month.")
    other = tmp_path / "other.txt"
    other.write_text("Parking permits are renewed every January at the front desk.")
    web_name = f"résumé {RLO}gnp.txt"

    by_console = console_upload(admin, collection, {web_name: spoof})
    by_api = api_upload(
        api_client(admin),
        collection,
        other,
        f"permits\u2066\x07{RLO}fdp.txt",
        title=f"Permits {RLO}2026\u200b",
    )
    rows = wait_indexed([*(d.id for d in by_console.values()), by_api["id"]])

    console_document = rows[next(iter(by_console.values())).id]
    assert (console_document.filename, console_document.title) == ("résumé gnp.txt", "résumé gnp")
    assert (by_api["filename"], by_api["title"]) == ("permitsfdp.txt", "Permits 2026")
    assert rows[by_api["id"]].title == "Permits 2026"
    hit = search_passages(user=reader, query="expense claims paid fifteenth")[0]
    assert hit.title == "résumé gnp"


@pytest.fixture
def parse_limits(monkeypatch):
    """Set ENCLAVE_PARSE_* limits for the live worker (its settings are read per document)."""

    def apply(**limits: int) -> None:
        for name, value in limits.items():
            monkeypatch.setenv(f"ENCLAVE_PARSE_{name.upper()}", str(value))
        reset_settings_cache()

    yield apply
    for name in ("MAX_PART_MB", "MAX_MEMORY_MB"):
        monkeypatch.delenv(f"ENCLAVE_PARSE_{name}", raising=False)
    reset_settings_cache()


def test_a_document_over_a_parse_limit_fails_alone_and_the_worker_goes_on(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker, parse_limits
):
    collection = make_collection("Limits")
    # 24 MB of XML in a 9 MB zip: passes the ratio check, needs about 16x its size to parse.
    bomb = make_low_ratio_docx_bomb(tmp_path / "minutes.docx", xml_mb=24)
    parse_limits(max_part_mb=8)

    documents = console_upload(
        admin,
        collection,
        {"minutes.docx": bomb, "security.docx": make_security_docx(tmp_path / "s.docx")},
    )
    rows = wait_indexed([d.id for d in documents.values()])
    refused = rows[documents["minutes.docx"].id]

    assert (refused.status, refused.error_code) == ("failed", "document_too_large")
    assert refused.error_message.startswith(
        "The Word document holds a part (word/document.xml) that unpacks to 2"
    )
    assert refused.error_message.endswith("MB; the limit for one part is 8.0 MB.")
    assert rows[documents["security.docx"].id].status == "indexed"

    parse_limits(max_part_mb=64, max_memory_mb=256)
    with transaction.atomic():
        document_retry(document=refused, actor=admin)
    retried = wait_indexed([refused.id])[refused.id]

    assert (retried.status, retried.error_code) == ("failed", "document_too_large")
    assert retried.error_message == (
        "Reading the Word document needed more than 256 MB of memory (the limit)."
    )
    assert get_store().count(document_id=refused.id) == 0
    assert live_worker._thread.is_alive()
    hit = search_passages(user=reader, query=BADGE_SENTENCE)[0]
    assert hit.document_id == documents["security.docx"].id
