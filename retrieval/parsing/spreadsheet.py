"""Spreadsheets: Excel (.xlsx, openpyxl in read-only streaming mode) and CSV.

Rows become header-aware lines, ``Header: value; Header: value``, so a chunk
of row 900 still says what each number means. The first non-empty row of a
sheet is its header when every filled cell in it is text. A workbook yields
one run of sections per sheet with ``page`` = sheet number (1-based) and
``heading`` = sheet name; rows are streamed, so a large sheet is never held
in memory whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument, Section
from retrieval.parsing.text import read_text

__all__ = ["parse_csv", "parse_xlsx", "row_lines"]

logger = logging.getLogger(__name__)

# Rows are grouped into sections of about this many characters (chunks never
# cross a section, so rows of one section stay together where they fit).
_SECTION_CHARS = 16 * 1024
_SNIFF_CHARS = 64 * 1024
_DAMAGED = "The Excel workbook is damaged and could not be read: {reason}"


def parse_xlsx(path: Path) -> ParsedDocument:
    """Open an .xlsx workbook and return a lazy stream of per-sheet sections."""
    workbook, handle = _open_workbook(path)
    title = (workbook.properties.title or "").strip() or None
    return ParsedDocument(title=title, sections=_workbook_sections(workbook, handle))


def parse_csv(path: Path) -> ParsedDocument:
    """Read a CSV file (delimiter sniffed) into header-aware row sections."""
    text = read_text(path)
    if not text.strip():
        raise EmptyDocumentError("The CSV file has no extractable text.")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        sections = list(_sections(row_lines(rows), page=None, heading=""))
    except csv.Error as exc:
        raise ParseError(f"The CSV file could not be read: {exc}.") from exc
    if not sections:
        raise EmptyDocumentError("The CSV file has no extractable text.")
    return ParsedDocument(title=None, sections=sections)


def row_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Turn rows of cell values into ``Header: value; ...`` lines (header row first).

    A sheet whose only row looks like a header yields that row as plain text.
    """
    header: list[str] | None = None
    data_rows = 0
    for row in rows:
        cells = [_cell(value) for value in row]
        if not any(cells):
            continue
        if header is None:
            if all(isinstance(v, str) for v in row if v is not None and _cell(v)):
                header = [cell or f"Column {_column(i)}" for i, cell in enumerate(cells)]
                continue
            header = []
        data_rows += 1
        yield _line(header, cells)
    if header and not data_rows:
        yield "; ".join(name for name in header if not name.startswith("Column "))


def _line(header: list[str], cells: list[str]) -> str:
    if not header:
        return "; ".join(cell for cell in cells if cell)
    parts = []
    for index, cell in enumerate(cells):
        if not cell:
            continue
        name = header[index] if index < len(header) else f"Column {_column(index)}"
        parts.append(f"{name}: {cell}")
    return "; ".join(parts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _sections(lines: Iterable[str], *, page: int | None, heading: str) -> Iterator[Section]:
    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line) + 1
        if size >= _SECTION_CHARS:
            yield Section(text="\n".join(block), page=page, heading=heading)
            block, size = [], 0
    if block:
        yield Section(text="\n".join(block), page=page, heading=heading)


def _open_workbook(path: Path) -> tuple[Any, BinaryIO]:
    import openpyxl  # type: ignore[import-untyped]

    # Opened from a file object: given a path, openpyxl refuses any name without an
    # .xlsx/.xlsm suffix, and uploads are stored under a bare uuid.
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ParseError(f"The file could not be read: {exc.strerror or exc}") from exc
    try:
        return openpyxl.load_workbook(handle, read_only=True, data_only=True), handle
    except Exception as exc:  # BadZipFile, KeyError, lxml and openpyxl errors
        handle.close()
        raise ParseError(_DAMAGED.format(reason="the file is not a valid .xlsx package.")) from exc


def _workbook_sections(workbook: Any, handle: BinaryIO) -> Iterator[Section]:
    found = False
    try:
        for number, sheet in enumerate(workbook.worksheets, start=1):
            rows = sheet.iter_rows(values_only=True)
            for section in _sections(row_lines(rows), page=number, heading=sheet.title):
                found = True
                yield section
    except (EmptyDocumentError, ParseError):
        raise
    except Exception as exc:  # malformed sheet XML found while streaming
        raise ParseError(_DAMAGED.format(reason=f"{type(exc).__name__}.")) from exc
    finally:
        workbook.close()  # the workbook's zip does not close a file object it was given
        handle.close()
    if not found:
        raise EmptyDocumentError("The Excel workbook has no extractable text.")
