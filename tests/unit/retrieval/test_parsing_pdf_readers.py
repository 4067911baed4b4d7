"""PDFs pypdf cannot read are read with PDFium before anything is called damaged or empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import EmptyDocumentError, EncryptedDocumentError, ParseError
from retrieval.parsing import parse_file
from tests.support.parsing_files import (
    FILING_PAGES,
    make_array_limit_pdf,
    make_drawing_pdf,
    make_locked_pdf,
    make_page_limit_pdf,
)


def _pages(path: Path, filename: str | None = None) -> tuple[str | None, list[tuple[int, str]]]:
    parsed = parse_file(path, filename=filename)
    return parsed.title, [(s.page, s.text) for s in parsed.sections]


def test_pypdf_cannot_open_it_but_every_page_is_read_with_pdfium(tmp_path: Path) -> None:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    path = make_array_limit_pdf(tmp_path / "10-q.pdf")
    with pytest.raises(LimitReachedError, match="Reached maximum array element count"):
        len(PdfReader(path).pages)  # the limit this file hits

    title, pages = _pages(path)

    assert title == "Form 10-Q Third Quarter 2026"
    assert pages == [(n, "\n".join(lines)) for n, lines in enumerate(FILING_PAGES, start=1)]


def test_a_page_pypdf_cannot_read_is_read_with_pdfium_in_its_place(tmp_path: Path) -> None:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    path = make_page_limit_pdf(tmp_path / "filing.pdf")
    with pytest.raises(LimitReachedError):
        PdfReader(path).pages[1].extract_text()

    _title, pages = _pages(path)

    assert [page for page, _ in pages] == [1, 2, 3]
    assert pages[0] == (1, "\n".join(FILING_PAGES[0]))
    assert pages[1][1].startswith(FILING_PAGES[1][0])
    assert pages[2] == (3, FILING_PAGES[2][0])


def test_a_file_neither_reader_opens_is_damaged_with_both_reasons(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n\x00\x13garbage")

    with pytest.raises(ParseError) as caught:
        _pages(path)

    message = caught.value.message
    assert message.startswith("The PDF is damaged and could not be read: ")
    assert "PDFium: Failed to load document (PDFium: Data format error)." in message


def test_when_pdfium_fails_too_the_message_names_the_limit_and_pdfiums_reason(
    tmp_path: Path,
) -> None:
    whole = make_array_limit_pdf(tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "no-page-tree.pdf"
    # Same length, so the cross-reference offsets stay right: the catalog loses its pages.
    path.write_bytes(whole.replace(b"/Pages 2 0 R", b"/Pagex 2 0 R", 1))

    with pytest.raises(ParseError) as caught:
        _pages(path)

    # PDFium's own words vary ("found no pages", or its last error code): both are named.
    assert caught.value.message.startswith(
        "The PDF is damaged and could not be read: pypdf stopped at one of its safety "
        "limits (Reached maximum array element count). PDFium"
    )


def test_password_and_scan_keep_their_own_messages(tmp_path: Path) -> None:
    locked = make_locked_pdf(tmp_path / "locked.pdf", "Salaries", algorithm="AES-256")
    scan = make_drawing_pdf(tmp_path / "scan.pdf")

    with pytest.raises(EncryptedDocumentError) as encrypted:
        _pages(locked)
    with pytest.raises(EmptyDocumentError) as empty:
        _pages(scan)

    assert encrypted.value.message == (
        "The PDF is password protected: remove the password and upload it again."
    )
    assert empty.value.message == "The PDF has no extractable text (scanned?)."
