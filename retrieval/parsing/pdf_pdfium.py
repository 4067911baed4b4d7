"""The second PDF reader: PDFium (pypdfium2), for files or pages pypdf cannot read.

pypdf stops at its safety limits (e.g. "Reached maximum array element count"
on real SEC filings) and on some damage that PDFium, the engine of Chrome's
viewer, reads without trouble. PDFium is C++ and not thread-safe: every call
goes through one process-wide lock (in-process parsing runs several threads).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from retrieval.errors import EncryptedDocumentError, ParseError

__all__ = ["PdfiumReader"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_LOCK = threading.Lock()
ENCRYPTED = "The PDF is password protected: remove the password and upload it again."
UNSUPPORTED_SECURITY = (
    "The PDF is encrypted with a method this server cannot open: "
    "remove the protection and upload it again."
)


class PdfiumReader:
    """An open PDF read page by page with PDFium; ``close`` when done."""

    def __init__(self, path: Path) -> None:
        import pypdfium2 as pdfium  # type: ignore[import-untyped]
        import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

        with _LOCK:
            try:
                self._document: Any = pdfium.PdfDocument(path)
                self.page_count: int = len(self._document)
            except pdfium.PdfiumError as exc:
                code = getattr(exc, "err_code", None)
                if code == pdfium_c.FPDF_ERR_PASSWORD:
                    raise EncryptedDocumentError(ENCRYPTED) from exc
                if code == pdfium_c.FPDF_ERR_SECURITY:
                    raise EncryptedDocumentError(UNSUPPORTED_SECURITY) from exc
                if code == pdfium_c.FPDF_ERR_SUCCESS:  # it opened, with no page in it
                    raise ParseError("PDFium found no pages.") from exc
                raise ParseError(_reason(exc)) from exc
            except (OSError, ValueError) as exc:
                raise ParseError(_reason(exc)) from exc

    def title(self) -> str | None:
        """The /Title of the document information dictionary, if any."""
        with _LOCK:
            try:
                title = self._document.get_metadata_dict(skip_empty=True).get("Title")
            except Exception:  # a broken info dictionary must not fail the document
                logger.debug("pdfium metadata unreadable", exc_info=True)
                return None
        return title if isinstance(title, str) else None

    def page_text(self, index: int) -> str:
        """The text of page ``index`` (0-based), lines as PDFium lays them out."""
        with _LOCK:
            page = self._document[index]
            try:
                textpage = page.get_textpage()
                try:
                    text: str = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
        return text

    def read_page(self, index: int, read: Callable[[Any], T]) -> T:
        """``read(page)`` on page ``index`` (0-based) under PDFium's lock; closes the page after."""
        with _LOCK:
            page = self._document[index]
            try:
                return read(page)
            finally:
                page.close()

    def page_has_images(self, index: int) -> bool:
        """Whether page ``index`` draws an image (a scan does; a blank or vector page does not)."""
        import pypdfium2.raw as pdfium_c

        with _LOCK:
            page = self._document[index]
            try:
                images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
                return next(images, None) is not None
            finally:
                page.close()

    def page_image(self, index: int, *, dpi: int, max_pixels: int) -> tuple[Any, int]:
        """Page ``index`` as a grayscale PIL image, and its dpi (lowered to fit ``max_pixels``)."""
        with _LOCK:
            page = self._document[index]
            try:
                width, height = page.get_size()  # in points, 72 to the inch
                scale = min(dpi / 72, math.sqrt(max_pixels / max(width * height, 1.0)))
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    image = bitmap.to_pil().convert("L")  # a copy: the bitmap's memory goes
                finally:
                    bitmap.close()
            finally:
                page.close()
        return image, round(scale * 72)

    def close(self) -> None:
        """Release PDFium's memory for this document."""
        with _LOCK:
            self._document.close()


def _reason(exc: BaseException) -> str:
    """PDFium's own words, e.g. "Failed to load document (PDFium: Data format error)."."""
    reason = (str(exc).strip() or type(exc).__name__).splitlines()[0][:160]
    return reason if reason.endswith(".") else reason + "."
