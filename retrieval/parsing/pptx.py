"""PowerPoint (.pptx) extraction with python-pptx: one section per slide, notes included.

A slide's section has ``page`` = slide number (1-based) and ``heading`` = the
slide title, so a citation points at the slide. Text frames, tables (as
``a | b`` rows) and grouped shapes are read in the slide's shape order; the
speaker notes follow as ``Notes: ...``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument, Section

logger = logging.getLogger(__name__)

_DAMAGED = "The PowerPoint file is damaged and could not be read: {reason}"


def parse_pptx(path: Path) -> ParsedDocument:
    """Read a .pptx file into one section per slide that has text."""
    presentation = _open(path)
    try:
        title = presentation.core_properties.title or None
        sections = [s for s in _slides(presentation) if s.text]
    except Exception as exc:  # malformed XML inside an otherwise valid zip
        raise ParseError(_DAMAGED.format(reason=f"{type(exc).__name__}.")) from exc
    if not sections:
        raise EmptyDocumentError("The PowerPoint file has no extractable text.")
    # The first slide's title is the deck's title when the properties have none.
    first_heading = tuple(s.heading for s in sections[:1] if s.heading)
    return ParsedDocument(title=title, sections=sections, other_titles=first_heading)


def _open(path: Path) -> Any:
    try:
        return Presentation(str(path))
    except Exception as exc:  # python-pptx raises KeyError, BadZipFile, lxml errors...
        raise ParseError(_DAMAGED.format(reason="the file is not a valid .pptx package.")) from exc


def _slides(presentation: Any) -> Iterator[Section]:
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        heading = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
        title_id = title_shape.shape_id if title_shape is not None else None
        blocks = [
            text for text in _shape_texts(slide.shapes, skip_id=title_id) if text and text.strip()
        ]
        notes = _notes(slide)
        if notes:
            blocks.append(f"Notes: {notes}")
        yield Section(text="\n\n".join(blocks), page=number, heading=heading)


def _shape_texts(shapes: Iterable[Any], *, skip_id: int | None) -> Iterator[str]:
    for shape in shapes:
        if skip_id is not None and shape.shape_id == skip_id:
            continue
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shape_texts(shape.shapes, skip_id=skip_id)
        elif getattr(shape, "has_table", False) and shape.has_table:
            yield _table_text(shape.table)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield _frame_text(shape.text_frame)


def _frame_text(frame: Any) -> str:
    lines = [" ".join(paragraph.text.split()) for paragraph in frame.paragraphs]
    return "\n".join(line for line in lines if line)


def _table_text(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _notes(slide: Any) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return " ".join(frame.text.split()) if frame is not None else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
