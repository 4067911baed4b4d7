"""Real files made in the test: good documents and a malformed set (each with its expected end).

Every malformed file is written by a real writer (reportlab, pypdf, python-docx,
python-pptx, openpyxl, zipfile) and then damaged the way files get damaged in
the wild; the expected outcome is (status, error code).
"""

from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.support.documents import make_handbook_pdf, make_security_docx
from tests.support.parsing_files import make_drawing_pdf, make_locked_pdf

SALARIES = "Salary bands for 2026 are confidential."
RESTRICTED = "Printing of this memo is restricted."

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Expected = tuple[str, str]  # (status, error_code); error_code "" when indexed


def make_deck(path: Path, slides: list[tuple[str, str, str]]) -> Path:
    """A .pptx with one (title, body, notes) per slide."""
    from pptx import Presentation

    deck = Presentation()
    for title, body, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text_frame.text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def make_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An .xlsx with the given sheets (first row = header)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(str(path))
    return path


def _truncate(source: Path, path: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    source.unlink()
    return path


def _zip_bomb(path: Path, member: str) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"\0" * (40 * 1024 * 1024))
    return path


def _size_liar(path: Path, member: str) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x/>")
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 0xFFFF0000)
    path.write_bytes(bytes(data))
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _deep_html(path: Path) -> Path:
    depth = 10_000
    body = "<div>" * depth + "<p>Fire drills happen on the first Monday.</p>" + "</div>" * depth
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return path


def _huge_line(path: Path) -> Path:
    # One ~20 KB line, no newline at all (the unit tests cover lines over 64 KB).
    words = " ".join(f"entry{n} approved" for n in range(1_200))
    path.write_text(words, encoding="utf-8")
    return path


def _docx_bytes(tmp: Path) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("A Word document saved with a .pdf name.")
    source = tmp / "renamed-source.docx"
    document.save(str(source))
    data = source.read_bytes()
    source.unlink()
    return data


MALFORMED: dict[str, tuple[Callable[[Path], Path], Expected]] = {
    "corrupt.pdf": (
        lambda p: _write(p, b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n\x00\x13garbage"),
        ("failed", "parse_error"),
    ),
    "truncated.pdf": (
        lambda p: _truncate(make_handbook_pdf(p.with_suffix(".src.pdf")), p),
        ("failed", "parse_error"),
    ),
    "random-bytes.pdf": (lambda p: _write(p, os.urandom(8192)), ("failed", "parse_error")),
    "zero-byte.pdf": (lambda p: _write(p, b""), ("failed", "parse_error")),
    "encrypted-rc4.pdf": (
        lambda p: make_locked_pdf(p, SALARIES, algorithm="RC4-128"),
        ("failed", "encrypted_document"),
    ),
    "encrypted-aes256.pdf": (
        lambda p: make_locked_pdf(p, SALARIES, algorithm="AES-256"),
        ("failed", "encrypted_document"),
    ),
    "owner-password-only.pdf": (
        lambda p: make_locked_pdf(p, RESTRICTED, user_password="", algorithm="AES-128"),
        ("indexed", ""),
    ),
    "scanned.pdf": (make_drawing_pdf, ("failed", "empty_document")),
    "docx-named.pdf": (lambda p: _write(p, _docx_bytes(p.parent)), ("failed", "parse_error")),
    "zero-byte.docx": (lambda p: _write(p, b""), ("failed", "parse_error")),
    "truncated.docx": (
        lambda p: _truncate(make_security_docx(p.with_suffix(".src.docx")), p),
        ("failed", "parse_error"),
    ),
    "pdf-named.docx": (
        lambda p: _truncate(make_handbook_pdf(p.with_suffix(".src.pdf")), p),
        ("failed", "parse_error"),
    ),
    "parts-missing.docx": (
        lambda p: _zip_with(p, {"hello.txt": "hi"}),
        ("failed", "parse_error"),
    ),
    "legacy-renamed.docx": (
        lambda p: _write(p, OLE_MAGIC + b"\0" * 2048),
        ("failed", "unsupported_format"),
    ),
    "bomb.docx": (lambda p: _zip_bomb(p, "word/document.xml"), ("failed", "document_too_large")),
    "bomb.xlsx": (
        lambda p: _zip_bomb(p, "xl/worksheets/sheet1.xml"),
        ("failed", "document_too_large"),
    ),
    "declares-4gb.pptx": (
        lambda p: _size_liar(p, "ppt/slides/slide1.xml"),
        ("failed", "document_too_large"),
    ),
    "truncated.xlsx": (
        lambda p: _truncate(make_workbook(p.with_suffix(".src.xlsx"), {"S": [["a"], [1]]}), p),
        ("failed", "parse_error"),
    ),
    "text-named.xlsx": (
        lambda p: _write(p, b"Item,Amount\nLaptops,3\n"),
        ("failed", "parse_error"),
    ),
    "encrypted.xlsx": (
        lambda p: _write(p, OLE_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")),
        ("failed", "encrypted_document"),
    ),
    "truncated.pptx": (
        lambda p: _truncate(make_deck(p.with_suffix(".src.pptx"), [("T", "Body", "")]), p),
        ("failed", "parse_error"),
    ),
    "blank.pptx": (lambda p: make_deck(p, [("", "", "")]), ("failed", "empty_document")),
    "legacy.doc": (lambda p: _write(p, OLE_MAGIC + b"\0" * 1024), ("failed", "unsupported_format")),
    "legacy.xls": (lambda p: _write(p, OLE_MAGIC + b"\1" * 1024), ("failed", "unsupported_format")),
    "legacy.ppt": (lambda p: _write(p, OLE_MAGIC + b"\2" * 1024), ("failed", "unsupported_format")),
    "notes.msg": (lambda p: _write(p, OLE_MAGIC + b"\3" * 64), ("failed", "unsupported_format")),
    "drawing.xyz": (lambda p: _write(p, b"not a format we know"), ("failed", "unsupported_format")),
    "zero-byte.txt": (lambda p: _write(p, b""), ("failed", "empty_document")),
    "whitespace.txt": (lambda p: _write(p, b"  \n\t\n   "), ("failed", "empty_document")),
    "binary-junk.txt": (lambda p: _write(p, bytes(range(256)) * 64), ("failed", "parse_error")),
    "binary-junk.md": (lambda p: _write(p, os.urandom(4096)), ("failed", "parse_error")),
    "empty.csv": (lambda p: _write(p, b",,\n,,\n"), ("failed", "empty_document")),
    "empty.eml": (lambda p: _write(p, b""), ("failed", "parse_error")),
    "deep-nesting.html": (_deep_html, ("indexed", "")),
    "huge-single-line.txt": (_huge_line, ("indexed", "")),
}


def _zip_with(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


# The shared evaluation data, read in place (never copied): ../shared/eval beside the
# checkout, or ENCLAVE_EVAL_ROOT (a git worktree lives elsewhere).
EVAL_ROOT = Path(
    os.environ.get("ENCLAVE_EVAL_ROOT")
    or Path(__file__).resolve().parents[3].parent / "shared" / "eval"
)
EDGE_ROOT = EVAL_ROOT / "edge-cases"

# Files from parser test suites in ../shared/eval/edge-cases (read in place, never copied):
# small enough to ingest in a test; each must end indexed or failed with a reason.
EDGE_CASES = [
    "pypdf/encryption/r2-user-password.pdf",
    "pypdf/encryption/r3-empty-password.pdf",
    "pypdf/encryption/r4-aes-user-password.pdf",
    "pypdf/encryption/r4-owner-password.pdf",
    "pypdf/encryption/r6-both-passwords.pdf",
    "pypdf/encryption/r6-user-password.pdf",
    "pypdf/crazyones-encrypted-256.pdf",
    "pypdf/libreoffice-writer-password.pdf",
    "pypdf/encrypted_doc_no_id.pdf",
    "pypdf/imagemagick-lzw.pdf",
    "pypdf/issue-297.pdf",
    "pypdf/bytes.pdf",
    "python-docx/tbl-having-tables.docx",
    "python-docx/sty-having-no-styles-part.docx",
    "python-docx/par-hlink-frags.docx",
    "unstructured/password.pdf",
    "unstructured/fake-power-point-malformed.pptx",
    "unstructured/group-shapes-nested.pptx",
    "unstructured/password_protected.xlsx",
    "unstructured/emoji.xlsx",
    "unstructured/grid_offset_error.docx",
    "unstructured/tables-with-incomplete-rows.docx",
    "unstructured/fake.doc",
    "unstructured/fake-power-point.ppt",
    "unstructured/tests-example.xls",
    "unstructured/fake.odt",
    "unstructured/empty.txt",
    "unstructured/fake-text-utf-16-be.txt",
    "unstructured/fake-text-utf-32.txt",
    "unstructured/stanley-cups-utf-16.csv",
    "unstructured/fake-incomplete-json.txt",
    "unstructured/fake-html-with-base64-image.html",
]
