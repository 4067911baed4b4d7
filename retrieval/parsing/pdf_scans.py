"""PDF pages without a text layer: read by OCR when it can run, else counted for the reason.

A page is taken for a scan when its text layer has fewer than a few letters or
digits (nothing, a page number, a scanner's stamp) and it draws an image; a
blank or purely vector page is left alone. Such a page is rendered by PDFium
and read by Tesseract (``ocr``); its text keeps the page's number.
"""

from __future__ import annotations

import logging

from retrieval.config import ParsingConfig
from retrieval.errors import EmptyDocumentError
from retrieval.parsing.ocr import Ocr
from retrieval.parsing.pdf_pdfium import PdfiumReader

__all__ = ["EMPTY", "ScannedPages", "negligible"]

logger = logging.getLogger(__name__)

EMPTY = "The PDF has no extractable text (scanned?)."
# Fewer letters or digits than this and a page counts as having no text layer.
_NEGLIGIBLE_CHARACTERS = 20


def negligible(text: str) -> bool:
    """Whether a page's text layer is too thin to stand for the page."""
    return sum(character.isalnum() for character in text) < _NEGLIGIBLE_CHARACTERS


class ScannedPages:
    """The scanned pages of one PDF; OCR is looked for at the first one."""

    def __init__(self, config: ParsingConfig) -> None:
        self._config = config
        self._ocr: Ocr | None = None
        self._reason = ""
        self._looked = False
        self.unread = 0  # scanned pages left unread because OCR cannot run

    def text(self, pdfium: PdfiumReader, index: int) -> str:
        """The OCR text of page ``index`` (0-based) if it is a scan, else ""."""
        if not pdfium.page_has_images(index):
            return ""
        ocr = self._find_ocr()
        if ocr is None:
            self.unread += 1
            return ""
        image, dpi = pdfium.page_image(
            index, dpi=self._config.ocr_dpi, max_pixels=self._config.ocr_max_pixels
        )
        text = ocr.read(image, dpi=dpi, page=index + 1)
        logger.info("pdf page %s read by ocr characters=%s", index + 1, len(text))
        return text

    def empty_error(self) -> EmptyDocumentError:
        """The failure of a PDF in which no page gave any text, saying why."""
        if self.unread:
            return EmptyDocumentError(
                f"The PDF is scanned: it has no text layer and {self._reason}."
            )
        if self._ocr is not None and self._ocr.pages_read:
            return EmptyDocumentError("The PDF is scanned and OCR found no text in it.")
        return EmptyDocumentError(EMPTY)

    def log_unread(self, page_count: int) -> None:
        """Say how many scanned pages a PDF with some text left unread."""
        if self.unread:
            logger.info(
                "pdf scanned pages left unread (%s) count=%s pages=%s",
                self._reason,
                self.unread,
                page_count,
            )

    def _find_ocr(self) -> Ocr | None:
        if not self._looked:
            self._looked = True
            self._ocr, self._reason = Ocr.for_document(self._config, label="PDF")
        return self._ocr
