"""Hostile and broken inputs end in a readable RetrievalError (or parse), never a crash."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from retrieval import (
    DocumentTooLargeError,
    ParseError,
    ParsingConfig,
    Section,
    UnsupportedFormatError,
    parse_file,
)


def write_zip_bomb(path: Path, *, member: str, megabytes: int = 40) -> Path:
    """A zip whose one member inflates ~1000:1 (zeros), named like an Office file."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"\0" * (megabytes * 1024 * 1024))
    return path


def write_size_liar(path: Path, *, member: str, declared: int = 0xFFFF0000) -> Path:
    """A small zip whose central directory claims a member unpacks to ``declared`` bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<w:document/>")
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # central directory entry of the last member
    struct.pack_into("<I", data, entry + 24, declared)  # uncompressed size field
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("name", "member", "label"),
    [
        ("bomb.docx", "word/document.xml", "Word document"),
        ("bomb.xlsx", "xl/worksheets/sheet1.xml", "Excel workbook"),
        ("bomb.pptx", "ppt/slides/slide1.xml", "PowerPoint file"),
    ],
)
def test_zip_bomb_is_refused_by_compression_ratio(
    tmp_path: Path, name: str, member: str, label: str
) -> None:
    path = write_zip_bomb(tmp_path / name, member=member)

    with pytest.raises(DocumentTooLargeError) as caught:
        parse_file(path)

    assert caught.value.message.startswith(f"The {label} contains a part compressed ")
    assert caught.value.message.endswith("the limit is 200 to 1 (a decompression bomb?).")


def test_zip_declaring_a_huge_member_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write_size_liar(tmp_path / "liar.docx", member="word/document.xml")

    with pytest.raises(DocumentTooLargeError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "The Word document would unpack to 4,095.9 MB; the limit is 1,024.0 MB "
        "(a decompression bomb?)."
    )


def test_zip_limits_are_configurable(tmp_path: Path) -> None:
    from docx import Document

    path = tmp_path / "normal.docx"
    document = Document()
    document.add_paragraph("Ordinary text.")
    document.save(str(path))

    assert list(parse_file(path).sections) == [
        Section(text="Ordinary text.", page=None, heading="")
    ]
    with pytest.raises(DocumentTooLargeError):
        parse_file(path, config=ParsingConfig(max_unzipped_bytes=10_000))
    with pytest.raises(DocumentTooLargeError):
        parse_file(path, config=ParsingConfig(max_zip_members=3))


@pytest.mark.parametrize(
    ("name", "modern"), [("memo.doc", ".docx"), ("sheet.xls", ".xlsx"), ("deck.ppt", ".pptx")]
)
def test_legacy_office_formats_are_unsupported_with_advice(
    tmp_path: Path, name: str, modern: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)

    with pytest.raises(UnsupportedFormatError) as caught:
        parse_file(path)

    suffix = Path(name).suffix
    assert caught.value.message == (
        f"Unsupported legacy Office format ({suffix}): "
        f"save the file as {modern} and upload it again."
    )


def test_legacy_word_file_renamed_docx_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "renamed.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)

    with pytest.raises(UnsupportedFormatError) as caught:
        parse_file(path)

    assert "(.doc)" in caught.value.message and ".docx" in caught.value.message


def test_html_nested_ten_thousand_levels_deep_parses(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    depth = 10_000
    path.write_text(
        "<html><body>" + "<div>" * depth + "<p>Deep policy text.</p>" + "</div>" * depth
    )

    assert list(parse_file(path).sections) == [
        Section(text="Deep policy text.", page=None, heading="")
    ]


def test_huge_single_line_text_is_split_into_sections(tmp_path: Path) -> None:
    path = tmp_path / "one-line.txt"
    words = " ".join(f"word{n}" for n in range(200_000))
    path.write_text(words)

    sections = list(parse_file(path).sections)

    assert len(sections) > 1
    assert " ".join(s.text for s in sections).split() == words.split()


def test_pdf_named_docx_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "The Word document is damaged and could not be read: not a .docx file."
    )
