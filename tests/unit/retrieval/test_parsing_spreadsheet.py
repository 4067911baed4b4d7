"""Excel and CSV parsing: header-aware rows, one run of sections per sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from retrieval import EmptyDocumentError, EncryptedDocumentError, ParseError, Section, parse_file


def write_workbook(path: Path) -> Path:
    """Two sheets with headers, one without, and an empty one."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.title = "Budget 2026"
    costs = workbook.active
    costs.title = "Costs"
    costs.append(["Item", "Amount", "Approved", "Due"])
    costs.append(["Laptops", 12500.0, True, dt.datetime(2026, 3, 1)])
    costs.append([None, None, None, None])
    costs.append(["Travel", 3200.5, False, None])
    people = workbook.create_sheet("People")
    people.append(["Team", None, "Lead"])
    people.append(["Support", 14, "Ana"])
    workbook.create_sheet("Empty")
    raw = workbook.create_sheet("Raw")
    raw.append([1, 2, 3])
    raw.append([4, None, 6])
    workbook.save(str(path))
    return path


def test_xlsx_rows_are_header_aware_and_sheets_are_pages(tmp_path: Path) -> None:
    parsed = parse_file(write_workbook(tmp_path / "budget.xlsx"))

    assert parsed.title == "Budget 2026"
    assert list(parsed.sections) == [
        Section(
            text=(
                "Item: Laptops; Amount: 12500; Approved: yes; Due: 2026-03-01\n"
                "Item: Travel; Amount: 3200.5; Approved: no"
            ),
            page=1,
            heading="Costs",
        ),
        Section(text="Team: Support; Column B: 14; Lead: Ana", page=2, heading="People"),
        Section(text="1; 2; 3\n4; 6", page=4, heading="Raw"),
    ]


def test_xlsx_large_sheet_streams_in_several_sections(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Ledger")
    sheet.append(["Invoice", "Customer"])
    for number in range(3000):
        sheet.append([f"INV-{number:05d}", f"Customer {number}"])
    path = tmp_path / "ledger.xlsx"
    workbook.save(str(path))

    sections = list(parse_file(path).sections)

    assert len(sections) > 1
    assert {(s.page, s.heading) for s in sections} == {(1, "Ledger")}
    lines = "\n".join(s.text for s in sections).splitlines()
    assert len(lines) == 3000
    assert lines[0] == "Invoice: INV-00000; Customer: Customer 0"
    assert lines[-1] == "Invoice: INV-02999; Customer: Customer 2999"


def test_xlsx_with_only_empty_sheets_is_empty(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "blank.xlsx"
    Workbook().save(str(path))

    with pytest.raises(EmptyDocumentError) as caught:
        list(parse_file(path).sections)

    assert caught.value.message == "The Excel workbook has no extractable text."


def test_xlsx_that_is_not_a_zip_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"Item,Amount\nLaptops,3\n")

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "The Excel workbook is damaged and could not be read: not a .xlsx file."
    )


def test_password_protected_xlsx_is_encrypted(tmp_path: Path) -> None:
    # Encrypted OOXML is an OLE container holding an EncryptionInfo stream.
    path = tmp_path / "locked.xlsx"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    path.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 512)

    with pytest.raises(EncryptedDocumentError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "The Excel workbook is password protected: remove the password and upload it again."
    )


def test_csv_with_semicolons_quotes_and_header(tmp_path: Path) -> None:
    path = tmp_path / "rooms.csv"
    path.write_text(
        'Room;Floor;Notes\n"Atlantic";2;"Has a projector; seats 12"\n\nPacific;3;\n',
        encoding="utf-8",
    )

    parsed = parse_file(path)

    assert parsed.title is None
    assert list(parsed.sections) == [
        Section(
            text=(
                "Room: Atlantic; Floor: 2; Notes: Has a projector; seats 12\n"
                "Room: Pacific; Floor: 3"
            ),
            page=None,
            heading="",
        )
    ]


def test_csv_in_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "cups.csv"
    path.write_text("Team,Cups\nMontréal,24\n", encoding="utf-16")

    assert list(parse_file(path).sections) == [
        Section(text="Team: Montréal; Cups: 24", page=None, heading="")
    ]


def test_empty_csv_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(",,\n,,\n")

    with pytest.raises(EmptyDocumentError):
        parse_file(path)
