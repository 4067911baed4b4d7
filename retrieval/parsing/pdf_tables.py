"""Ruled tables in PDF pages, kept as text rows: one line per row, cells joined by " | ".

pypdf's plain text puts every table cell on its own line, so a row's values end
up scattered. pdfplumber's table finder reads ruled tables cell by cell, but it
has pdfminer interpret the whole page (about 70 ms a page, five times pypdf)
and interleaves the lines of two-column prose. So pypdf stays the reader, and a
page is searched for tables only when it draws enough ruling lines: counted in
its content stream before pypdf reads it (``count_rulings``; a table page skips
pypdf's text pass, whose text it would replace), else by ``RulingCounter``
during that pass. The search runs pdfplumber's table geometry on the ruling
lines and characters PDFium reads (pdf_tables_pdfium, about three times faster
than pdfplumber); a page that reading cannot take, or fails on, goes to
pdfplumber itself. Either way the text is put together here the same way.
Tables drawn without lines (aligned by whitespace only) stay as pypdf reads
them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retrieval.errors import EncryptedDocumentError, ParseError
from retrieval.parsing.pdf_pdfium import PdfiumReader

__all__ = ["CELL_SEPARATOR", "MIN_RULINGS", "PdfTableReader", "RulingCounter", "count_rulings"]

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
# Line segments and rectangles a page must draw before it is searched for tables:
# the smallest ruled table (2 x 2 cells) takes 6 lines; page borders take 1-4.
MIN_RULINGS = 6
_RULING_OPERATORS = (b"re", b"l")
# The same operators found as tokens in a content stream, without interpreting it.
_RULING_TOKEN = re.compile(rb"(?<![^\s\]\)>])(?:re|l)(?![^\s\[\(</%])")
# Characters closer than this fraction of their font size join one word. pdfplumber's
# fixed 3 points glued tightly set words ("StrategicPlan") in agency reports whose
# PDFs carry no space characters; pypdf had read them apart.
_WORD_GAP = {"x_tolerance_ratio": 0.15}


class RulingCounter:
    """A pypdf ``visitor_operand_before`` that counts the lines and rectangles a page draws."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, operator: bytes, arguments: Any, cm: Any, tm: Any) -> None:
        if operator in _RULING_OPERATORS:
            self.count += 1

    @property
    def may_hold_a_table(self) -> bool:
        """True when the page drew enough lines for a ruled table."""
        return self.count >= MIN_RULINGS


Box = tuple[float, float, float, float]  # x0, top, x1, bottom; top-left origin
Cells = list[Box]
Chars = list[dict[str, Any]]  # pdfplumber's char dicts
PageTables = tuple[list[Cells], Chars, float]  # each table's cells, the chars, the page bottom


def count_rulings(content: bytes) -> int:
    """The line and rectangle operators in a decoded content stream: RulingCounter's count, cheaply.

    A tokenizing scan, no interpretation, so about twenty times faster than pypdf's text
    pass; a form XObject's lines are not seen (RulingCounter, run with the text, sees them).
    """
    return len(_RULING_TOKEN.findall(content))


class PdfTableReader:
    """Page text with ruled tables as rows; opens PDFium, and pdfplumber if needed, on first use."""

    def __init__(self, path: Path, *, fast: bool = True) -> None:
        self._path = path
        self._fast = fast  # False: pdfplumber reads every page (to compare the two)
        self._pdfium: PdfiumReader | None = None
        self._pdf: Any = None
        self._pdfium_failed = False
        self._pdfplumber_failed = False

    def page_text(self, index: int) -> str | None:
        """The 0-based page's text with its tables as rows; None when it has no ruled table."""
        found = self.page_tables(index)
        return None if found is None else _text_with_tables(*found)

    def page_rows(self, index: int) -> list[list[list[str]]]:
        """Each ruled table of the 0-based page as rows of cell texts, top to bottom."""
        found = self.page_tables(index)
        if found is None:
            return []
        groups, chars, _ = found
        _, _, inside = _split(chars, [_bbox(cells) for cells in groups])
        return [
            _table_rows(cells, table_chars)
            for cells, table_chars in zip(groups, inside, strict=True)
        ]

    def page_tables(self, index: int) -> PageTables | None:
        """The page's tables as cells, its characters and bottom; None when it has no table."""
        # Imported on first need: it pulls in pdfplumber, which most PDFs never use.
        from retrieval.parsing.pdf_tables_pdfium import Unsupported

        pdfium = self._open_pdfium() if self._fast else None
        if pdfium is not None:
            try:
                return pdfium.read_page(index, _pdfium_tables)
            except Unsupported as reason:
                logger.debug("pdf tables page=%s read by pdfplumber: %s", index + 1, reason)
            except Exception:  # PDFium or an odd path; pdfplumber still has a go
                logger.info("pdfium table reading failed page=%s", index + 1, exc_info=True)
        return self._pdfplumber_tables(index)

    def close(self) -> None:
        """Close the files this reader opened."""
        if self._pdfium is not None:
            self._pdfium.close()
            self._pdfium = None
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    def _open_pdfium(self) -> PdfiumReader | None:
        if self._pdfium is None and not self._pdfium_failed:
            try:
                self._pdfium = PdfiumReader(self._path)
            except (ParseError, EncryptedDocumentError):
                logger.info("pdfium could not open the pdf for tables", exc_info=True)
                self._pdfium_failed = True
        return self._pdfium

    def _pdfplumber_tables(self, index: int) -> PageTables | None:
        pdf = self._open_pdfplumber()
        if pdf is None:
            return None
        try:
            page = pdf.pages[index]
            try:
                tables = sorted(page.find_tables(), key=lambda table: table.bbox[1])
                if not tables:
                    return None
                return [table.cells for table in tables], page.chars, float(page.bbox[3])
            finally:
                page.close()  # drop the page's parsed objects: memory stays per page
        except Exception:  # pdfplumber/pdfminer raise many types; pypdf's text stands
            logger.info("pdf table extraction failed page=%s", index + 1, exc_info=True)
            return None

    def _open_pdfplumber(self) -> Any:
        if self._pdf is None and not self._pdfplumber_failed:
            try:
                import pdfplumber

                self._pdf = pdfplumber.open(self._path)
            except Exception:
                logger.info("pdfplumber could not open the pdf", exc_info=True)
                self._pdfplumber_failed = True
        return self._pdf


def _pdfium_tables(page: Any) -> PageTables | None:
    from retrieval.parsing.pdf_tables_pdfium import page_tables

    found = page_tables(page)
    if found is None:
        return None
    groups, chars = found
    return groups, chars, float(page.get_height())


def _text_with_tables(groups: list[Cells], chars: Chars, page_bottom: float) -> str:
    boxes = [_bbox(cells) for cells in groups]
    prose, middles, inside = _split(chars, boxes)
    parts: list[str] = []
    top = 0.0
    for cells, table_chars, (_, table_top, _, table_bottom) in zip(
        groups, inside, boxes, strict=True
    ):
        # Text above the table, then text beside it, then the table's rows.
        parts.append(_band_text(prose, middles, top, table_top))
        parts.append(_band_text(prose, middles, table_top, table_bottom))
        parts.append(_rows_text(_table_rows(cells, table_chars)))
        top = max(top, table_bottom)
    parts.append(_band_text(prose, middles, top, page_bottom + 1))
    return "\n".join(part for part in parts if part)


def _split(chars: Chars, boxes: list[Box]) -> tuple[Chars, list[float], list[Chars]]:
    """The characters outside every table (prose) with their vertical middles, and each table's."""
    prose: Chars = []
    middles: list[float] = []
    inside: list[Chars] = [[] for _ in boxes]
    for char in chars:
        # By the character's middle, as pdfplumber assigns characters to cells.
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        found = False
        for number, (x0, top, x1, bottom) in enumerate(boxes):
            if x0 <= x <= x1 and top <= y <= bottom:
                inside[number].append(char)
                found = True
        if not found:
            prose.append(char)
            middles.append(y)
    return prose, middles, inside


def _table_rows(cells: Cells, chars: Chars) -> list[list[str | None]]:
    """pdfplumber's ``Table.extract`` on ``chars``: those inside the table are enough."""
    from pdfplumber.table import Table

    # Table.extract tests every character it is given against every row and cell.
    rows: list[list[str | None]] = Table(_CharsOf(chars), cells).extract(**_WORD_GAP)  # type: ignore[arg-type]
    return rows


class _CharsOf:
    """Stands in for the pdfplumber page whose ``chars`` a ``Table`` reads."""

    def __init__(self, chars: Chars) -> None:
        self.chars = chars


def _band_text(chars: Chars, middles: list[float], top: float, bottom: float) -> str:
    # By each character's middle, so a line touching two bands is read once.
    if bottom - top < 1:
        return ""
    from pdfplumber.utils import extract_text

    band = [char for char, middle in zip(chars, middles, strict=True) if top <= middle < bottom]
    text: str = extract_text(band, **_WORD_GAP) if band else ""
    return text.strip()


def _bbox(cells: Cells) -> Box:
    return (
        min(cell[0] for cell in cells),
        min(cell[1] for cell in cells),
        max(cell[2] for cell in cells),
        max(cell[3] for cell in cells),
    )


def _rows_text(rows: Sequence[Sequence[str | None]]) -> str:
    lines = []
    for row in rows:
        cells = [" ".join((cell or "").split()) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            lines.append(CELL_SEPARATOR.join(cells))
    return "\n".join(lines)
