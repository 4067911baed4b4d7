"""A malformed batch through the live worker: every file ends indexed or failed with a reason.

35 damaged files made here plus 32 files from parser test suites
(../shared/eval/edge-cases, read in place), mixed with good documents in the
same batch. The worker must survive all of them and index the good ones.
"""

from __future__ import annotations

import pytest

from tests.integration.ingestion.files import EDGE_CASES, EDGE_ROOT, MALFORMED, make_deck
from tests.support.documents import (
    BADGE_SENTENCE,
    LEAVE_SENTENCE,
    make_handbook_pdf,
    make_security_docx,
)
from webapp.chat.services import search_passages
from webapp.knowledge.index_engines import get_store

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KNOWN_CODES = {
    "parse_error",
    "encrypted_document",
    "unsupported_format",
    "empty_document",
    "document_too_large",
}
DECK_SENTENCE = "The cafeteria serves vegetarian lunch every Wednesday."


def _assert_readable_failure(document) -> None:
    assert document.error_code in KNOWN_CODES, (document.filename, document.error_message)
    message = document.error_message
    assert 20 < len(message) < 300, (document.filename, message)
    assert "Traceback" not in message and "Unexpected error" not in message


def test_malformed_batch_fails_file_by_file_and_good_files_are_indexed(
    tmp_path, make_collection, upload, reader, wait_indexed, live_worker
):
    collection = make_collection("Malformed")
    good_files = [
        make_handbook_pdf(tmp_path / "handbook.pdf"),
        make_security_docx(tmp_path / "security.docx"),
        make_deck(tmp_path / "canteen.pptx", [("Canteen", DECK_SENTENCE, "")]),
    ]
    expected = {}
    documents = {}
    for name, (write, outcome) in MALFORMED.items():
        path = write(tmp_path / name)
        # Zero-byte files share one sha256; each gets its own collection so none is deduplicated.
        target = make_collection(f"Malformed {name}") if path.stat().st_size == 0 else collection
        documents[name] = upload(target, path)
        expected[name] = outcome
    for path in good_files:  # queued after the bad ones: the worker has to get through them
        documents[path.name] = upload(collection, path)

    rows = wait_indexed([d.id for d in documents.values()], timeout_s=600)

    assert len(MALFORMED) >= 30
    outcomes = {name: (rows[d.id].status, rows[d.id].error_code) for name, d in documents.items()}
    assert outcomes == {**expected, **{p.name: ("indexed", "") for p in good_files}}
    store = get_store()
    for name, document in documents.items():
        row = rows[document.id]
        if row.status == "failed":
            _assert_readable_failure(row)
            assert store.count(document_id=document.id) == 0, name
        else:
            assert store.count(document_id=document.id) == row.chunk_count > 0, name
    assert live_worker._thread.is_alive()
    assert search_passages(user=reader, query=LEAVE_SENTENCE)[0].document_id == (
        documents["handbook.pdf"].id
    )
    assert search_passages(user=reader, query=BADGE_SENTENCE)[0].document_id == (
        documents["security.docx"].id
    )
    hit = search_passages(user=reader, query=DECK_SENTENCE)[0]
    assert (hit.document_id, hit.page, hit.heading) == (documents["canteen.pptx"].id, 1, "Canteen")


def test_parser_test_suite_files_end_indexed_or_failed_with_a_reason(
    tmp_path, make_collection, upload, wait_indexed, live_worker
):
    if not EDGE_ROOT.is_dir():
        pytest.skip(f"shared evaluation data not found at {EDGE_ROOT}")
    collection = make_collection("Edge cases")
    documents = {name: upload(collection, EDGE_ROOT / name) for name in EDGE_CASES}
    good = upload(collection, make_security_docx(tmp_path / "security.docx"))

    rows = wait_indexed([d.id for d in [*documents.values(), good]], timeout_s=600)

    store = get_store()
    statuses = {}
    for name, document in documents.items():
        row = rows[document.id]
        statuses[name] = row.status
        if row.status == "failed":
            _assert_readable_failure(row)
            assert store.count(document_id=row.id) == 0
        else:
            assert row.status == "indexed"
            assert store.count(document_id=row.id) == row.chunk_count > 0
    assert rows[good.id].status == "indexed"
    assert live_worker._thread.is_alive()
    # Known outcomes: encrypted with a user password fails, owner-only opens, legacy fails.
    assert statuses["pypdf/encryption/r2-user-password.pdf"] == "failed"
    assert statuses["pypdf/encryption/r4-owner-password.pdf"] == "indexed"
    assert statuses["unstructured/tables-with-incomplete-rows.docx"] == "indexed"
    assert rows[documents["unstructured/fake.doc"].id].error_message == (
        "Unsupported legacy Office format (.doc): save the file as .docx and upload it again."
    )
