"""Test documents made with real writers (reportlab, python-docx), and waiting on ingestion."""

from __future__ import annotations

import time
from pathlib import Path

LEAVE_SENTENCE = (
    "Every full-time employee is entitled to twenty-seven days of paid annual leave "
    "per calendar year."
)
PARKING_SENTENCE = (
    "Bicycle parking is available in the basement of the Lisbon office next to the showers."
)
BADGE_SENTENCE = (
    "Lost security badges must be reported to the facilities desk within twenty-four hours."
)


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A text PDF with one list of paragraphs per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for paragraphs in pages:
        y = 800
        for paragraph in paragraphs:
            for line in _wrap(paragraph, 90):
                pdf.drawString(60, y, line)
                y -= 16
            y -= 10
        pdf.showPage()
    pdf.save()
    return path


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def make_handbook_pdf(path: Path) -> Path:
    """Three pages; the leave policy sits on page 2."""
    return make_pdf(
        path,
        [
            [
                "Staff Handbook",
                "Welcome to the company. This handbook explains how we work together.",
            ],
            [
                "Annual leave",
                LEAVE_SENTENCE,
                "Leave requests are approved by your manager in the HR portal.",
            ],
            ["Offices", PARKING_SENTENCE],
        ],
    )


def make_security_docx(path: Path) -> Path:
    """A DOCX with headings, a paragraph and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Security Policy", level=1)
    document.add_heading("Badges", level=2)
    document.add_paragraph(BADGE_SENTENCE)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Floor"
    table.cell(0, 1).text = "Access"
    table.cell(1, 0).text = "Data centre"
    table.cell(1, 1).text = "Badge and PIN"
    document.save(str(path))
    return path


def make_corrupt_pdf(path: Path) -> Path:
    """A file named .pdf that is cut off after its header."""
    path.write_bytes(
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n\x00\x13garbage"
    )
    return path


def wait_for_documents(document_ids: list[int], *, timeout_s: float = 180.0) -> dict[int, object]:
    """Poll the database until every document is indexed or failed."""
    from webapp.knowledge.models import Document

    deadline = time.monotonic() + timeout_s
    while True:
        rows = {d.id: d for d in Document.objects.filter(id__in=document_ids)}
        if len(rows) == len(set(document_ids)) and all(
            d.status in ("indexed", "failed") for d in rows.values()
        ):
            return rows
        if time.monotonic() > deadline:
            states = {i: (d.status, d.progress_done, d.progress_total) for i, d in rows.items()}
            raise AssertionError(f"documents not done after {timeout_s} s: {states}")
        time.sleep(0.3)


def wait_for_groups_applied(collection_id: int, *, timeout_s: float = 60.0) -> object:
    """Poll until the worker has written the collection's current groups onto its points."""
    from webapp.knowledge.models import Collection

    deadline = time.monotonic() + timeout_s
    while True:
        collection = Collection.objects.get(id=collection_id)
        if collection.groups_applied_version >= collection.groups_version:
            return collection
        if time.monotonic() > deadline:
            raise AssertionError(f"the group change of collection {collection_id} did not arrive")
        time.sleep(0.1)
