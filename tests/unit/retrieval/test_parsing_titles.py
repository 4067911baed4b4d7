"""Titles come from the document before its file name; junk titles and control characters go."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval.parsing import parse_file
from retrieval.parsing.titles import choose_title, display_text, file_title
from tests.support.parsing_files import (
    make_array_limit_pdf,
    make_titled_docx,
    make_titled_pptx,
)

RLO = "\u202e"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "Untitled",
        "untitled document",
        "Microsoft Word - Leave policy 2026.doc",
        "Microsoft PowerPoint - deck.ppt",
        "PowerPoint Presentation",
        "Slide 1",
        "Document1",
        "Book1",
        "scan0001.tif",
        "leave.pdf",
        "---",
        f"{RLO}\u200b",
    ],
)
def test_junk_titles_are_skipped(raw: str) -> None:
    assert choose_title([raw, "Leave policy"], filename="leave.pdf") == "Leave policy"


def test_first_real_candidate_wins_cleaned_and_shortened() -> None:
    long = "Annual report " * 30

    assert choose_title([None, "  Travel\tpolicy\n2026 "], filename="x.pdf") == "Travel policy 2026"
    assert choose_title(["Guide"], filename="guide.md") == "Guide"  # the stem, better cased
    chosen = choose_title([long], filename="r.pdf")
    assert chosen is not None and len(chosen) <= 201 and chosen.endswith("report…")
    assert choose_title(["Untitled", ""], filename="r.pdf") is None


def test_control_and_format_characters_leave_names_and_titles() -> None:
    assert display_text(f"résumé {RLO}gnp.txt") == "résumé gnp.txt"
    assert display_text("a\x00b\x1b[31mc\u2066d\u2069\u2028e") == "ab[31mcd e"
    assert file_title(f"Q3 {RLO}fdp.exe") == "Q3 fdp"
    assert file_title(None) == ""


def _title(path: Path, filename: str | None = None) -> str | None:
    return parse_file(path, filename=filename).title


def test_pdf_title_from_metadata_unless_junk(tmp_path: Path, make_pdf: Callable[..., Path]) -> None:
    titled = make_pdf(tmp_path / "a.pdf", [["Leave rules"]], title="Annual Leave Policy")
    junk = make_pdf(tmp_path / "b.pdf", [["Leave rules"]], title="Microsoft Word - leave.doc")

    assert _title(titled) == "Annual Leave Policy"
    assert _title(junk) is None
    assert _title(make_array_limit_pdf(tmp_path / "q.pdf")) == "Form 10-Q Third Quarter 2026"


def test_docx_title_from_core_properties_then_first_heading(tmp_path: Path) -> None:
    core = make_titled_docx(
        tmp_path / "a.docx", core_title="Expense Rules", heading="Scope", body="Text."
    )
    heading = make_titled_docx(
        tmp_path / "b.docx", core_title="Untitled", heading="Travel Policy", body="Trains."
    )

    assert _title(core) == "Expense Rules"
    assert _title(heading) == "Travel Policy"


def test_pptx_title_from_core_properties_then_first_slide(tmp_path: Path) -> None:
    core = make_titled_pptx(
        tmp_path / "a.pptx", core_title="Q3 Results", slide_title="Agenda", body="Numbers."
    )
    slide = make_titled_pptx(
        tmp_path / "b.pptx",
        core_title="PowerPoint Presentation",
        slide_title="Roadmap 2027",
        body="x",
    )

    assert _title(core) == "Q3 Results"
    assert _title(slide) == "Roadmap 2027"


def test_html_title_then_first_top_heading(tmp_path: Path) -> None:
    titled = tmp_path / "a.html"
    titled.write_text("<html><head><title> Intranet: Parking </title></head><body><p>x</p></body>")
    headed = tmp_path / "b.html"
    headed.write_text("<html><body><h2>Minor</h2><h1>Canteen Menu</h1><p>Soup.</p></body></html>")

    assert _title(titled) == "Intranet: Parking"
    assert _title(headed) == "Canteen Menu"


def test_xlsx_title_from_workbook_properties(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.title = "Headcount 2026"
    workbook.active.append(["Team", "People"])
    workbook.active.append(["Sales", 12])
    path = tmp_path / "stored-without-suffix"
    workbook.save(str(tmp_path / "h.xlsx"))
    (tmp_path / "h.xlsx").rename(path)

    assert _title(path, filename="h.xlsx") == "Headcount 2026"
