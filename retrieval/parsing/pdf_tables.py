"""Ruled tables in PDF pages, kept as text rows: one line per row, cells joined by " | ".

pypdf's plain text puts every table cell on its own line, so a row's values end
up scattered. pdfplumber finds tables from their ruling lines and reads them
cell by cell, but it parses a page about five times slower than pypdf and
interleaves the lines of two-column prose. So pypdf stays the reader, and a
page goes to pdfplumber only when pypdf saw enough ruling lines on it
(``RulingCounter``) and pdfplumber then finds a table there. Tables drawn
without lines (aligned by whitespace only) stay as pypdf reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["CELL_SEPARATOR", "MIN_RULINGS", "PdfTableReader", "RulingCounter"]

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
# Line segments and rectangles a page must draw before it is searched for tables:
# the smallest ruled table (2 x 2 cells) takes 6 lines; page borders take 1-4.
MIN_RULINGS = 6
_RULING_OPERATORS = (b"re", b"l")
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


class PdfTableReader:
    """Page text with ruled tables as rows; opens the file with pdfplumber on first need."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pdf: Any = None
        self._failed = False

    def page_text(self, index: int) -> str | None:
        """The 0-based page's text with its tables as rows; None when it has no ruled table."""
        pdf = self._open()
        if pdf is None:
            return None
        try:
            page = pdf.pages[index]
            try:
                return _text_with_tables(page)
            finally:
                page.close()  # drop the page's parsed objects: memory stays per page
        except Exception:  # pdfplumber/pdfminer raise many types; pypdf's text stands
            logger.info("pdf table extraction failed page=%s", index + 1, exc_info=True)
            return None

    def close(self) -> None:
        """Close the pdfplumber file, if it was opened."""
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    def _open(self) -> Any:
        if self._pdf is None and not self._failed:
            try:
                import pdfplumber

                self._pdf = pdfplumber.open(self._path)
            except Exception:
                logger.info("pdfplumber could not open the pdf", exc_info=True)
                self._failed = True
        return self._pdf


def _text_with_tables(page: Any) -> str | None:
    tables = sorted(page.find_tables(), key=lambda table: table.bbox[1])
    if not tables:
        return None
    boxes = [table.bbox for table in tables]
    prose = page.filter(lambda obj: not any(_inside(obj, box) for box in boxes))
    parts: list[str] = []
    top = 0.0
    for table in tables:
        _, table_top, _, table_bottom = table.bbox
        # Text above the table, then text beside it, then the table's rows.
        parts.append(_band_text(prose, top, table_top))
        parts.append(_band_text(prose, table_top, table_bottom))
        parts.append(_rows_text(table.extract(**_WORD_GAP)))
        top = max(top, table_bottom)
    parts.append(_band_text(prose, top, float(page.bbox[3]) + 1))
    return "\n".join(part for part in parts if part)


def _band_text(page: Any, top: float, bottom: float) -> str:
    # By each character's middle, so a line touching two bands is read once.
    if bottom - top < 1:
        return ""
    band = page.filter(lambda obj: top <= (obj["top"] + obj["bottom"]) / 2 < bottom)
    text: str = band.extract_text(**_WORD_GAP) or ""
    return text.strip()


def _rows_text(rows: Sequence[Sequence[str | None]]) -> str:
    lines = []
    for row in rows:
        cells = [" ".join((cell or "").split()) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            lines.append(CELL_SEPARATOR.join(cells))
    return "\n".join(lines)


def _inside(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    middle_x = (obj["x0"] + obj["x1"]) / 2
    middle_y = (obj["top"] + obj["bottom"]) / 2
    return x0 <= middle_x <= x1 and top <= middle_y <= bottom
