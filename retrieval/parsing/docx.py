"""Word (.docx) extraction with python-docx: headings, paragraphs, list items and tables."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument
from retrieval.parsing.headings import SectionBuilder

logger = logging.getLogger(__name__)

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_DAMAGED = "The Word document is damaged and could not be read: {reason}"


def parse_docx(path: Path) -> ParsedDocument:
    """Read a .docx file into sections keyed by heading path (page is always None)."""
    document = _open(path)
    builder = SectionBuilder(page=None)
    title: str | None = None
    try:
        styles = _StyleNames(document)
        for block in _blocks(document):
            if isinstance(block, Table):
                builder.add_text(_table_text(block))
                continue
            text = block.text.strip()
            style = styles.of(block)
            level = _heading_level(style)
            if style.lower() == "title":
                title = title or text or None
            elif level is not None:
                builder.add_heading(level, text)
            elif _is_list_item(block, style):
                builder.add_text(f"- {text}" if text else "")
            else:
                builder.add_text(text)
    except Exception as exc:  # malformed XML inside an otherwise valid zip
        raise ParseError(_DAMAGED.format(reason=type(exc).__name__)) from exc
    sections = builder.finish()
    if not sections:
        raise EmptyDocumentError("The Word document has no extractable text.")
    candidates = (title, builder.top_heading)
    return ParsedDocument(
        title=_core_title(document),
        sections=sections,
        other_titles=tuple(c for c in candidates if c),
    )


def _core_title(document: DocxDocument) -> str | None:
    try:
        return document.core_properties.title or None
    except Exception:  # a malformed core.xml must not fail the document
        logger.debug("docx core properties unreadable", exc_info=True)
        return None


def _open(path: Path) -> DocxDocument:
    try:
        return docx.Document(str(path))
    except (BadZipFile, PackageNotFoundError, KeyError) as exc:
        raise ParseError(_DAMAGED.format(reason="the file is not a valid .docx package.")) from exc
    except Exception as exc:
        raise ParseError(_DAMAGED.format(reason=type(exc).__name__)) from exc


def _blocks(document: DocxDocument) -> Iterator[Paragraph | Table]:
    # Walk the body in order so tables stay where they appear between paragraphs.
    for child in document.element.body.iterchildren():
        if not isinstance(child.tag, str):  # XML comments and processing instructions
            continue
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document)
        elif tag == "tbl":
            yield Table(child, document)


class _StyleNames:
    """Paragraph style names by style id, read once per document.

    python-docx's ``paragraph.style`` searches the styles part on every call
    (about 240 microseconds): most of the time of a large document went there.
    An unknown id falls back to the default paragraph style, as python-docx does.
    """

    def __init__(self, document: DocxDocument) -> None:
        styles = document.styles
        self._names = {
            style.style_id: style.name or ""
            for style in styles
            if style.type == WD_STYLE_TYPE.PARAGRAPH
        }
        default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self._default = (default.name or "") if default is not None else ""

    def of(self, paragraph: Paragraph) -> str:
        """The name of the paragraph's style, e.g. "Heading 2"."""
        properties = paragraph._p.pPr
        style_id = properties.style if properties is not None else None
        return self._names.get(style_id, self._default) if style_id else self._default


def _heading_level(style: str) -> int | None:
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else None


def _is_list_item(paragraph: Paragraph, style: str) -> bool:
    if style.lower().startswith("list"):
        return True
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _table_text(table: Table) -> str:
    # Walk the XML rows and cells directly: python-docx's row.cells raises on tables
    # with irregular grids (gridBefore offsets, incomplete rows) found in real files.
    rows: list[str] = []
    for tr in table._tbl.tr_lst:
        cells = [_cell_text(tc) for tc in tr.tc_lst]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _cell_text(tc: Any) -> str:
    # Paragraphs of the cell (and of tables nested in it), one space apart.
    paragraphs = ("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))
    return " ".join(" ".join(paragraphs).split())
