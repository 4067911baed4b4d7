"""Parsing real files made by real writers: exact text, pages, headings and readable errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval import (
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    ParseError,
    ParsingConfig,
    Section,
    UnsupportedFormatError,
    parse_file,
    supported_extensions,
)
from tests.support.parsing_files import make_drawing_pdf, make_locked_pdf


def sections_of(path: Path, **kwargs: object) -> list[Section]:
    return list(parse_file(path, **kwargs).sections)  # type: ignore[arg-type]


# --- PDF -------------------------------------------------------------------------------


def test_pdf_text_per_page_with_one_based_page_numbers(
    tmp_path: Path, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf(
        tmp_path / "handbook.pdf",
        [["Welcome to Enclave", "Read this first"], ["Annual leave is 27 days"]],
        title="Staff Handbook",
    )

    parsed = parse_file(path)

    assert parsed.title == "Staff Handbook"
    assert list(parsed.sections) == [
        Section(text="Welcome to Enclave\nRead this first", page=1, heading=""),
        Section(text="Annual leave is 27 days", page=2, heading=""),
    ]


REGIONS = [
    ["Region", "Quarter", "Revenue (EUR)", "Head count"],
    ["Lisbon office", "Q1 2026", "1,250,000", "42"],
    ["Porto", "Q1 2026", "830,500", "17"],
    ["São Paulo branch", "Q2 2026", "2,004,300", "103"],
]


def write_table_pdf(path: Path) -> Path:
    """Page 1 prose; page 2 prose, a ruled table (reportlab GRID) and more prose."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    style = getSampleStyleSheet()["Normal"]
    table = Table(REGIONS)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(str(path), pagesize=A4).build(
        [
            Paragraph("Results by region follow on the next page.", style),
            PageBreak(),
            Paragraph("Quarterly results by region.", style),
            table,
            Paragraph("Figures are unaudited.", style),
        ]
    )
    return path


def test_pdf_table_comes_out_one_line_per_row_with_cells_in_order(tmp_path: Path) -> None:
    sections = sections_of(write_table_pdf(tmp_path / "results.pdf"))

    assert [(s.page, s.text) for s in sections] == [
        (1, "Results by region follow on the next page."),
        (
            2,
            "Quarterly results by region.\n"
            "Region | Quarter | Revenue (EUR) | Head count\n"
            "Lisbon office | Q1 2026 | 1,250,000 | 42\n"
            "Porto | Q1 2026 | 830,500 | 17\n"
            "São Paulo branch | Q2 2026 | 2,004,300 | 103\n"
            "Figures are unaudited.",
        ),
    ]


def test_pdf_random_bytes_is_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(os.urandom(4096))

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.code == "parse_error"
    assert caught.value.message == "The PDF is damaged and could not be read: not a PDF file."


def test_truncated_pdf_is_damaged(tmp_path: Path, make_pdf: Callable[..., Path]) -> None:
    whole = make_pdf(tmp_path / "whole.pdf", [["Some text on page one"]]).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(ParseError) as caught:
        sections_of(path)

    assert caught.value.message.startswith("The PDF is damaged and could not be read: ")
    assert len(caught.value.message) > len("The PDF is damaged and could not be read: ")


def test_pdf_with_user_password_is_encrypted(tmp_path: Path) -> None:
    path = make_locked_pdf(tmp_path / "locked.pdf", "Salary bands for 2026", algorithm="RC4-128")

    with pytest.raises(EncryptedDocumentError) as caught:
        parse_file(path)

    assert caught.value.code == "encrypted_document"
    assert "password protected" in caught.value.message


def test_pdf_with_owner_password_only_still_opens(tmp_path: Path) -> None:
    path = make_locked_pdf(
        tmp_path / "restricted.pdf", "Printing is restricted", user_password="", algorithm="RC4-128"
    )

    assert sections_of(path) == [Section(text="Printing is restricted", page=1, heading="")]


def test_pdf_without_text_layer_is_empty(tmp_path: Path) -> None:
    with pytest.raises(EmptyDocumentError) as caught:
        sections_of(make_drawing_pdf(tmp_path / "scan.pdf"))

    assert caught.value.message == "The PDF has no extractable text (scanned?)."


# --- DOCX ------------------------------------------------------------------------------


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Security Policy"
    document.add_paragraph("Intro before any heading.")
    document.add_heading("Policies", level=1)
    document.add_paragraph("General rules apply.")
    document.add_heading("Leave", level=2)
    document.add_paragraph("Ask your manager.")
    document.add_paragraph("Book in the portal", style="List Bullet")
    table = document.add_table(rows=2, cols=3)
    rows = [("Type", "Days", "Paid"), ("Annual", "27", "yes")]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Badges", level=1)
    document.add_paragraph("Report lost badges.")
    path = tmp_path / "policy.docx"
    document.save(str(path))

    parsed = parse_file(path)

    assert parsed.title == "Security Policy"
    assert list(parsed.sections) == [
        Section(text="Intro before any heading.", page=None, heading=""),
        Section(text="General rules apply.", page=None, heading="Policies"),
        Section(
            text=(
                "Ask your manager.\n\n- Book in the portal\n\nType | Days | Paid\nAnnual | 27 | yes"
            ),
            page=None,
            heading="Policies > Leave",
        ),
        Section(text="Report lost badges.", page=None, heading="Badges"),
    ]


def test_docx_that_is_not_a_zip_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a word document at all")

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "The Word document is damaged and could not be read: not a .docx file."
    )


def test_docx_zip_without_word_parts_is_damaged(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "empty-zip.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message.startswith("The Word document is damaged and could not be read")


# --- HTML ------------------------------------------------------------------------------


def test_html_drops_page_furniture_and_builds_heading_paths(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        """<!doctype html><html><head><title>Travel Guide</title>
        <style>body { color: red }</style><script>var secret = 1;</script></head>
        <body><header>Company header</header><nav><a href="/">Home</a> | <a>Menu</a></nav>
        <main><h1>Travel</h1><p>Book trains   early.</p>
        <h2>Expenses</h2><p>Keep <b>every</b> receipt.</p>
        <ul><li>Taxis</li><li>Meals</li></ul>
        <table><tr><th>Item</th><th>Limit</th></tr><tr><td>Hotel</td><td>120</td></tr></table>
        <h2>Visas</h2><div>Ask HR.<br>Two weeks ahead.</div></main>
        <footer>Copyright</footer></body></html>""",
        encoding="utf-8",
    )

    parsed = parse_file(path)

    assert parsed.title == "Travel Guide"
    assert list(parsed.sections) == [
        Section(text="Book trains early.", page=None, heading="Travel"),
        Section(
            text="Keep every receipt.\n\n- Taxis\n\n- Meals\n\nItem | Limit\n\nHotel | 120",
            page=None,
            heading="Travel > Expenses",
        ),
        Section(text="Ask HR.\n\nTwo weeks ahead.", page=None, heading="Travel > Visas"),
    ]


def test_html_with_only_navigation_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "nav.htm"
    path.write_text("<html><body><nav>Home | About</nav><script>x()</script></body></html>")

    with pytest.raises(EmptyDocumentError):
        parse_file(path)


# --- Markdown and text -----------------------------------------------------------------


def test_markdown_headings_build_the_path_and_code_fences_are_not_headings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide\n\nIntro line.\n\n## Setup\n\nInstall it.\nThen run it.\n\n"
        "```sh\n# not a heading\nmake\n```\n\n### Linux\n\nUse apt.\n\n## Usage\n\nAsk away.\n",
        encoding="utf-8",
    )

    parsed = parse_file(path)

    assert parsed.title == "Guide"
    assert list(parsed.sections) == [
        Section(text="Intro line.", page=None, heading="Guide"),
        Section(
            text="Install it.\nThen run it.\n\n```sh\n# not a heading\nmake\n```",
            page=None,
            heading="Guide > Setup",
        ),
        Section(text="Use apt.", page=None, heading="Guide > Setup > Linux"),
        Section(text="Ask away.", page=None, heading="Guide > Usage"),
    ]


def test_text_utf8_and_cp1252_fallback(tmp_path: Path) -> None:
    utf8 = tmp_path / "notes.txt"
    utf8.write_text("Férias: 25 dias úteis.\r\nSegunda linha.", encoding="utf-8")
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Café “quotes” — 5€".encode("cp1252"))

    assert sections_of(utf8) == [
        Section(text="Férias: 25 dias úteis.\nSegunda linha.", page=None, heading="")
    ]
    assert sections_of(legacy) == [Section(text="Café “quotes” — 5€", page=None, heading="")]


def test_empty_text_file_has_no_extractable_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\t\n")

    with pytest.raises(EmptyDocumentError) as caught:
        parse_file(path)

    assert caught.value.code == "empty_document"
    assert "no extractable text" in caught.value.message


def test_binary_junk_named_txt_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(range(256)) * 16)

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message == "The file could not be read: it contains binary data, not text."


# --- Detection and limits --------------------------------------------------------------


def test_format_comes_from_the_original_filename_or_mime_type(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234"
    path.write_text("# Title\n\nBody text.")

    by_name = sections_of(path, filename="readme.md")
    by_mime = sections_of(path, mime_type="text/plain; charset=utf-8")

    assert by_name == [Section(text="Body text.", page=None, heading="Title")]
    assert by_mime == [Section(text="# Title\n\nBody text.", page=None, heading="")]


def test_unknown_and_legacy_formats_are_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xyz"
    path.write_bytes(b"data")

    with pytest.raises(UnsupportedFormatError) as unknown:
        parse_file(path)
    with pytest.raises(UnsupportedFormatError) as legacy:
        parse_file(path, filename="old.doc")

    assert unknown.value.message == "This file type is not supported: .xyz."
    assert legacy.value.code == "unsupported_format"
    assert ".docx" in legacy.value.message


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 2048)

    with pytest.raises(DocumentTooLargeError) as caught:
        parse_file(path, config=ParsingConfig(max_file_bytes=1024))

    assert caught.value.code == "document_too_large"


def test_supported_extensions() -> None:
    assert {".pdf", ".docx", ".html", ".htm", ".md", ".txt"} <= supported_extensions()
