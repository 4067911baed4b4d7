"""PowerPoint parsing on decks written by python-pptx: one section per slide, notes kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import EmptyDocumentError, ParseError, Section, parse_file


def write_deck(path: Path) -> Path:
    """Three slides: text with bullets, a table and a group, and a slide with notes only."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Quarterly Review"
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Revenue"
    body = first.placeholders[1].text_frame
    body.text = "Revenue grew 12 percent."
    body.add_paragraph().text = "Lisbon office   opened."

    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Headcount"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (row, col), value in {
        (0, 0): "Team",
        (0, 1): "People",
        (1, 0): "Support",
        (1, 1): "14",
    }.items():
        table.cell(row, col).text = value
    group = second.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1))
    box.text_frame.text = "Hiring freeze ends in March."
    second.notes_slide.notes_text_frame.text = "Mention the two open roles."

    third = deck.slides.add_slide(deck.slide_layouts[6])  # blank layout: no title
    third.notes_slide.notes_text_frame.text = "Thank the audience."
    deck.save(str(path))
    return path


def test_pptx_one_section_per_slide_with_title_tables_groups_and_notes(tmp_path: Path) -> None:
    parsed = parse_file(write_deck(tmp_path / "review.pptx"))

    assert parsed.title == "Quarterly Review"
    assert list(parsed.sections) == [
        Section(text="Revenue grew 12 percent.\nLisbon office opened.", page=1, heading="Revenue"),
        Section(
            text=(
                "Team | People\nSupport | 14\n\nHiring freeze ends in March.\n\n"
                "Notes: Mention the two open roles."
            ),
            page=2,
            heading="Headcount",
        ),
        Section(text="Notes: Thank the audience.", page=3, heading=""),
    ]


def test_pptx_without_title_property_takes_the_first_slide_title(tmp_path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "Onboarding"
    slide.placeholders[1].text_frame.text = "Welcome aboard."
    path = tmp_path / "deck.pptx"
    deck.save(str(path))

    parsed = parse_file(path)

    assert parsed.title == "Onboarding"
    assert list(parsed.sections) == [Section(text="Welcome aboard.", page=1, heading="Onboarding")]


def test_pptx_with_no_text_is_empty(tmp_path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    path = tmp_path / "blank.pptx"
    deck.save(str(path))

    with pytest.raises(EmptyDocumentError) as caught:
        parse_file(path)

    assert caught.value.message == "The PowerPoint file has no extractable text."


def test_pptx_zip_without_presentation_parts_is_damaged(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "fake.pptx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "The PowerPoint file is damaged and could not be read: "
        "the file is not a valid .pptx package."
    )
