"""Ruled tables read with PDFium come out as pdfplumber reads them: same rows, same prose around.

The fast reading (pdf_tables_pdfium) is checked against pdfplumber itself
(``PdfTableReader(path, fast=False)``) on a generated page and on every page of
a real report from the shared evaluation data (read in place, never copied).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval import Section, parse_file
from retrieval.parsing.pdf_pdfium import PdfiumReader
from retrieval.parsing.pdf_tables import PdfTableReader
from retrieval.parsing.pdf_tables_pdfium import Unsupported, page_tables

# ../shared/eval beside the checkout, or ENCLAVE_EVAL_ROOT (a git worktree lives elsewhere).
EVAL_ROOT = Path(
    os.environ.get("ENCLAVE_EVAL_ROOT")
    or Path(__file__).resolve().parents[3].parent / "shared" / "eval"
)
AGENCY_REPORT = EVAL_ROOT / "enterprise-docs" / "us-fed-agency-reports-docugami" / "DOC2022.pdf"

ROWS = [
    ["Region", "Quarter", "Revenue (EUR)"],
    ["Lisbon office", "Q1 2026", "1,250,000"],
    ["São Paulo branch", "Q2 2026", "2,004,300"],
]
PAGE_TEXT = (
    "Quarterly results by region.\n"
    "Unaudited\n"
    "Region | Quarter | Revenue (EUR)\n"
    "Lisbon office | Q1 2026 | 1,250,000\n"
    "São Paulo branch | Q2 2026 | 2,004,300\n"
    "Figures are in euros."
)


def write_ruled_page(path: Path, *, rotate: int = 0) -> Path:
    """A page with prose above a ruled 3 x 3 table, a note beside it and prose below."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4)
    canvas.setPageRotation(rotate)
    canvas.setFont("Helvetica", 10)
    height = A4[1]
    canvas.drawString(72, height - 80, "Quarterly results by region.")
    xs, top, row_height = [72, 200, 280, 380], height - 110, 20
    ys = [top - row_height * n for n in range(len(ROWS) + 1)]
    canvas.grid(xs, ys)  # ruling lines: 4 horizontal, 4 vertical
    for row, y in zip(ROWS, ys, strict=False):
        for cell, x in zip(row, xs, strict=False):
            canvas.drawString(x + 4, y - 14, cell)
    canvas.drawString(420, top - 34, "Unaudited")  # beside the table, on its second row
    canvas.drawString(72, ys[-1] - 30, "Figures are in euros.")
    canvas.showPage()
    canvas.save()
    return path


def test_fast_reading_finds_the_ruled_table_without_pdfplumber(tmp_path: Path) -> None:
    path = write_ruled_page(tmp_path / "results.pdf")

    reader = PdfiumReader(path)
    try:
        found = reader.read_page(0, page_tables)
    finally:
        reader.close()

    assert found is not None
    groups, _ = found
    assert [len(cells) for cells in groups] == [9]  # one table of 3 x 3 cells


def test_table_rows_and_prose_around_them_as_pdfplumber_reads_them(tmp_path: Path) -> None:
    path = write_ruled_page(tmp_path / "results.pdf")
    fast, plumber = PdfTableReader(path), PdfTableReader(path, fast=False)
    try:
        assert fast.page_rows(0) == plumber.page_rows(0) == [ROWS]
        assert fast.page_text(0) == plumber.page_text(0) == PAGE_TEXT
    finally:
        fast.close()
        plumber.close()


def test_a_ruled_table_in_a_pdf_comes_out_as_rows_with_the_prose_around_it(tmp_path: Path) -> None:
    path = write_ruled_page(tmp_path / "results.pdf")

    sections = list(parse_file(path).sections)

    assert sections == [Section(text=PAGE_TEXT, page=1, heading="")]


def test_a_page_the_fast_reading_cannot_take_is_read_by_pdfplumber(tmp_path: Path) -> None:
    path = write_ruled_page(tmp_path / "turned.pdf", rotate=90)
    reader = PdfiumReader(path)
    try:
        with pytest.raises(Unsupported):
            reader.read_page(0, page_tables)
    finally:
        reader.close()

    tables = PdfTableReader(path)
    try:
        rows = tables.page_rows(0)
    finally:
        tables.close()

    # pdfplumber reads the page unturned: the table's columns come out as its rows.
    assert _cells(rows) == [[[row[column] for row in reversed(ROWS)] for column in range(3)]]


def _cells(tables: list[list[list[str | None]]]) -> list[list[list[str]]]:
    return [[[" ".join((cell or "").split()) for cell in row] for row in table] for table in tables]


@pytest.mark.skipif(
    not AGENCY_REPORT.is_file(),
    reason=f"shared evaluation data not found at {EVAL_ROOT} (set ENCLAVE_EVAL_ROOT)",
)
def test_every_page_of_a_real_report_has_the_cells_pdfplumber_finds() -> None:
    # DOC2022.pdf: 80 pages, 66 of them with small ruled tables (3 rows x 4-6 columns).
    fast, plumber = PdfTableReader(AGENCY_REPORT), PdfTableReader(AGENCY_REPORT, fast=False)
    pdfium = PdfiumReader(AGENCY_REPORT)
    try:
        pages = range(pdfium.page_count)
        read_fast = {n for n in pages if pdfium.read_page(n, page_tables) is not None}
        fast_rows = {n: _cells(fast.page_rows(n)) for n in pages}
        plumber_rows = {n: _cells(plumber.page_rows(n)) for n in pages}
    finally:
        pdfium.close()
        fast.close()
        plumber.close()

    assert len(read_fast) == 66  # the fast reading took every table page itself
    assert {n for n, rows in plumber_rows.items() if rows} == read_fast
    assert fast_rows == plumber_rows
