"""PDF text extraction, one section per page (pages are 1-based).

pypdf reads first; ruled tables come out as one line per row (see pdf_tables): a
page whose content stream draws enough lines goes to the table reader before
pypdf reads its text, which is kept only when no table is found.
PDFium (pdf_pdfium) reads what pypdf cannot before anything is called damaged
or empty: a file pypdf cannot open (a safety limit such as "Reached maximum
array element count", or damage it does not repair), a page it cannot read,
and a page on which it finds (next to) no text. A page PDFium finds no text on
either is read by OCR when it is a scan (pdf_scans). Failures say what
happened: a password, no text layer (scanned) and no OCR, or damage, with each
reader's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, IndirectObject

from retrieval.config import ParsingConfig
from retrieval.errors import EncryptedDocumentError, ParseError
from retrieval.models import ParsedDocument, Section
from retrieval.parsing.pdf_pdfium import ENCRYPTED, PdfiumReader
from retrieval.parsing.pdf_scans import ScannedPages, negligible
from retrieval.parsing.pdf_tables import MIN_RULINGS, PdfTableReader, RulingCounter, count_rulings

logger = logging.getLogger(__name__)

_DAMAGED = "The PDF is damaged and could not be read: {reason}"


class _NotOpened(Exception):
    """pypdf could not open the file; ``reason`` says why, for the message if PDFium fails too."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_pdf(
    path: Path,
    config: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen, safe as a default
) -> ParsedDocument:
    """Open a PDF and return its title and a lazy per-page section stream."""
    scans = ScannedPages(config)
    try:
        reader = _open(path)
    except _NotOpened as failure:
        return _parse_with_pdfium(path, scans, pypdf_reason=failure.reason)
    return ParsedDocument(title=_title(reader), sections=_Pages(path, reader, scans).sections())


def _open(path: Path) -> PdfReader:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            _decrypt_with_empty_password(reader)
        # Touch the page tree now so a damaged file fails here, not half way through.
        page_count = len(reader.pages)
    except EncryptedDocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(ENCRYPTED) from exc
    except DependencyError as exc:  # an encryption method pypdf lacks a library for
        raise _NotOpened(f"pypdf cannot decrypt it ({_reason(exc)})") from exc
    except Exception as exc:  # pypdf raises many types on damaged input
        raise _NotOpened(_pypdf_reason(exc)) from exc
    if page_count == 0:
        raise _NotOpened("pypdf found no pages.")
    return reader


def _decrypt_with_empty_password(reader: PdfReader) -> None:
    # Files with only an owner password (print/copy restrictions) open with "".
    try:
        opened = reader.decrypt("")
    except DependencyError:
        raise
    except (PyPdfError, ValueError, NotImplementedError) as exc:
        raise _NotOpened(_pypdf_reason(exc)) from exc
    if not opened:
        raise EncryptedDocumentError(ENCRYPTED)


def _parse_with_pdfium(path: Path, scans: ScannedPages, *, pypdf_reason: str) -> ParsedDocument:
    try:
        pdfium = PdfiumReader(path)
    except ParseError as exc:
        raise ParseError(_DAMAGED.format(reason=f"{pypdf_reason} PDFium: {exc.message}")) from exc
    logger.info("pdf read with pdfium: pypdf could not open it (%s)", pypdf_reason)
    return ParsedDocument(title=pdfium.title(), sections=_pdfium_pages(pdfium, scans))


def _pdfium_pages(pdfium: PdfiumReader, scans: ScannedPages) -> Iterator[Section]:
    found_text = False
    try:
        for index in range(pdfium.page_count):
            text = _clean(_pdfium_text(pdfium, index))
            if negligible(text):
                text = _clean(scans.text(pdfium, index)) or text
            if text:
                found_text = True
                yield Section(text=text, page=index + 1, heading="")
        scans.log_unread(pdfium.page_count)
    finally:
        pdfium.close()
    if not found_text:
        raise scans.empty_error()


def _pdfium_text(pdfium: PdfiumReader, index: int) -> str:
    try:
        return pdfium.page_text(index)
    except Exception as exc:
        reason = f"page {index + 1} is unreadable (PDFium: {_reason(exc)})"
        raise ParseError(_DAMAGED.format(reason=reason)) from exc


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:  # a broken info dictionary must not fail the whole document
        logger.debug("pdf metadata unreadable", exc_info=True)
        return None
    return title if isinstance(title, str) else None


class _Pages:
    """pypdf's pages; PDFium opened on first need: a page pypdf cannot read or finds no text on."""

    def __init__(self, path: Path, reader: PdfReader, scans: ScannedPages) -> None:
        self._path = path
        self._reader = reader
        self._scans = scans
        self._tables = PdfTableReader(path)
        self._pdfium: PdfiumReader | None = None
        self._pdfium_failed = False

    def sections(self) -> Iterator[Section]:
        """One section per page that has text; raises EmptyDocumentError when none has."""
        found_text = False
        try:
            for number, page in enumerate(self._reader.pages, start=1):
                text = _clean(self._page_text(number, page))
                if negligible(text):
                    text = self._without_text_layer(number) or text
                if text:
                    found_text = True
                    yield Section(text=text, page=number, heading="")
            self._scans.log_unread(len(self._reader.pages))
            if not found_text:
                logger.info("pdf has no text layer pages=%s", len(self._reader.pages))
                raise self._scans.empty_error()
        finally:
            self._tables.close()
            if self._pdfium is not None:
                self._pdfium.close()

    def _page_text(self, number: int, page: PageObject) -> str:
        # A page that draws a ruled table goes to the table reader before pypdf reads it:
        # pypdf's text would be dropped, and reading it is most of a page's cost.
        tried = _drawn_rulings(page) >= MIN_RULINGS
        if tried and (tables := self._tables.page_text(number - 1)) is not None:
            _forget_contents(self._reader, page)
            return tables
        rulings = RulingCounter()
        try:
            text = page.extract_text(visitor_operand_before=rulings) or ""
        except Exception as exc:
            return self._pdfium_page(number, pypdf_reason=_pypdf_reason(exc))
        _forget_contents(self._reader, page)
        if rulings.may_hold_a_table and not tried:
            text = self._tables.page_text(number - 1) or text
        return text

    def _pdfium_page(self, number: int, *, pypdf_reason: str) -> str:
        try:
            text = self._open_pdfium().page_text(number - 1)
        except Exception as exc:
            reason = f"page {number} is unreadable ({pypdf_reason} PDFium: {_reason(exc)})"
            raise ParseError(_DAMAGED.format(reason=reason)) from exc
        logger.info("pdf page %s read with pdfium (%s)", number, pypdf_reason)
        return text

    def _without_text_layer(self, number: int) -> str:
        """PDFium's text of a page pypdf found (next to) none on, else its OCR text, else ""."""
        if self._pdfium_failed:
            return ""
        try:
            pdfium = self._open_pdfium()
        except (ParseError, EncryptedDocumentError):
            self._pdfium_failed = True
            return ""
        # pypdf may miss a text layer PDFium decodes (odd font encodings).
        text = _clean(_pdfium_text(pdfium, number - 1))
        if not negligible(text):
            return text
        return _clean(self._scans.text(pdfium, number - 1)) or text

    def _open_pdfium(self) -> PdfiumReader:
        if self._pdfium is None:
            self._pdfium = PdfiumReader(self._path)
        return self._pdfium


def _drawn_rulings(page: PageObject) -> int:
    """Lines and rectangles in the page's own content stream; 0 when it cannot be read here."""
    try:
        contents = page.get_contents()
        return count_rulings(contents.get_data()) if contents is not None else 0
    except Exception:  # a damaged stream: pypdf's text pass reports it
        logger.debug("pdf content stream unreadable for the ruling count", exc_info=True)
        return 0


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


def _pypdf_reason(exc: BaseException) -> str:
    """pypdf's reason; a safety limit is named as one (it is not damage)."""
    if isinstance(exc, LimitReachedError):
        return f"pypdf stopped at one of its safety limits ({_reason(exc)[:-1]})."
    return _reason(exc)


def _reason(exc: BaseException) -> str:
    reason = str(exc).strip() or type(exc).__name__
    reason = reason.splitlines()[0][:160]
    return reason if reason.endswith(".") else reason + "."
