"""PDF text extraction with pypdf, one section per page (pages are 1-based).

Ruled tables come out as one line per row, cells joined by " | " (see pdf_tables).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError
from pypdf.generic import ArrayObject, IndirectObject

from retrieval.errors import EmptyDocumentError, EncryptedDocumentError, ParseError
from retrieval.models import ParsedDocument, Section
from retrieval.parsing.pdf_tables import PdfTableReader, RulingCounter

logger = logging.getLogger(__name__)

_DAMAGED = "The PDF is damaged and could not be read: {reason}"
_ENCRYPTED = "The PDF is password protected: remove the password and upload it again."


def parse_pdf(path: Path) -> ParsedDocument:
    """Open a PDF and return its title and a lazy per-page section stream."""
    reader = _open(path)
    return ParsedDocument(title=_title(reader), sections=_pages(reader, PdfTableReader(path)))


def _open(path: Path) -> PdfReader:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            _decrypt_with_empty_password(reader)
        # Touch the page tree now so a damaged file fails here, not half way through.
        page_count = len(reader.pages)
    except (EncryptedDocumentError, ParseError):
        raise
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(_ENCRYPTED) from exc
    except Exception as exc:  # pypdf raises many types on damaged input
        raise ParseError(_DAMAGED.format(reason=_reason(exc))) from exc
    if page_count == 0:
        raise ParseError(_DAMAGED.format(reason="it has no pages."))
    return reader


def _decrypt_with_empty_password(reader: PdfReader) -> None:
    # Files with only an owner password (print/copy restrictions) open with "".
    try:
        opened = reader.decrypt("")
    except DependencyError as exc:
        raise EncryptedDocumentError(
            "The PDF is encrypted with a method this server cannot open: "
            "remove the protection and upload it again."
        ) from exc
    except (PyPdfError, ValueError, NotImplementedError) as exc:
        raise ParseError(_DAMAGED.format(reason=_reason(exc))) from exc
    if not opened:
        raise EncryptedDocumentError(_ENCRYPTED)


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:  # a broken info dictionary must not fail the whole document
        logger.debug("pdf metadata unreadable", exc_info=True)
        return None
    if not isinstance(title, str):
        return None
    return title.strip() or None


def _pages(reader: PdfReader, tables: PdfTableReader) -> Iterator[Section]:
    found_text = False
    try:
        for number, page in enumerate(reader.pages, start=1):
            rulings = RulingCounter()
            try:
                text = page.extract_text(visitor_operand_before=rulings) or ""
            except Exception as exc:
                raise ParseError(
                    _DAMAGED.format(reason=f"page {number} is unreadable ({_reason(exc)})")
                ) from exc
            _forget_contents(reader, page)
            if rulings.may_hold_a_table:
                text = tables.page_text(number - 1) or text
            text = _clean(text)
            if text:
                found_text = True
                yield Section(text=text, page=number, heading="")
    finally:
        tables.close()
    if not found_text:
        logger.info("pdf has no text layer pages=%s", len(reader.pages))
        raise EmptyDocumentError("The PDF has no extractable text (scanned?).")


def _forget_contents(reader: PdfReader, page: PageObject) -> None:
    """Drop the page's decoded content streams from pypdf's object cache.

    pypdf keeps every object it has resolved for the reader's lifetime, so a
    619-page PDF grew by about 23 KB per page read; the page keeps its indirect
    reference and would simply read the stream again from the file.
    """
    contents = page.raw_get("/Contents") if "/Contents" in page else None
    if not isinstance(contents, IndirectObject):
        return
    refs = [contents]
    resolved = contents.get_object()
    if isinstance(resolved, ArrayObject):
        refs += [item for item in resolved if isinstance(item, IndirectObject)]
    for ref in refs:
        reader.resolved_objects.pop((ref.generation, ref.idnum), None)


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\x00", "").splitlines()]
    return "\n".join(lines).strip()


def _reason(exc: BaseException) -> str:
    reason = str(exc).strip() or type(exc).__name__
    reason = reason.splitlines()[0][:160]
    return reason if reason.endswith(".") else reason + "."
