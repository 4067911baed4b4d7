"""HTML extraction with BeautifulSoup: main text under h1-h6 heading paths."""

from __future__ import annotations

import logging
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import Comment, Doctype, NavigableString, ProcessingInstruction, Tag

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument
from retrieval.parsing.headings import SectionBuilder

logger = logging.getLogger(__name__)

# Page furniture, not content.
_DROPPED = ("script", "style", "nav", "header", "footer", "noscript", "template", "head")
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "dd", "details", "dialog"),
        *("div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "hr", "li", "main"),
        *("ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul"),
    }
)
_CELLS = frozenset({"td", "th"})


def parse_html(path: Path) -> ParsedDocument:
    """Read an HTML file into sections keyed by heading path (page is always None)."""
    try:
        soup = BeautifulSoup(path.read_bytes(), "html.parser")
    except Exception as exc:
        raise ParseError(f"The web page could not be read: {type(exc).__name__}.") from exc
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag else ""
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    walker = _Walker()
    walker.walk(soup.body or soup)
    sections = walker.builder.finish()
    if not sections:
        raise EmptyDocumentError("The web page has no extractable text.")
    return ParsedDocument(title=title or None, sections=sections)


class _Walker:
    """Depth-first walk that turns block elements into lines and headings into paths."""

    def __init__(self) -> None:
        self.builder = SectionBuilder(page=None)
        self._line: list[str] = []

    def walk(self, node: Tag) -> None:
        """Visit ``node`` and its descendants in document order."""
        for child in node.children:
            if isinstance(child, Comment | Doctype | ProcessingInstruction):
                continue
            if isinstance(child, NavigableString):
                self._line.append(str(child))
            elif isinstance(child, Tag):
                self._visit_tag(child)

    def _visit_tag(self, tag: Tag) -> None:
        name = tag.name.lower()
        if name in _HEADINGS:
            self._end_line()
            self.builder.add_heading(_HEADINGS[name], tag.get_text(" "))
        elif name == "br":
            self._end_line()
        elif name == "tr":
            self._end_line()
            cells = [" ".join(c.get_text(" ").split()) for c in tag.find_all(_CELLS)]
            self.builder.add_text(" | ".join(cells))
        elif name == "li":
            self._end_line()
            self._line.append("- ")
            self.walk(tag)
            self._end_line()
        elif name in _BLOCKS:
            self._end_line()
            self.walk(tag)
            self._end_line()
        else:
            self.walk(tag)

    def _end_line(self) -> None:
        line = " ".join("".join(self._line).split())
        self._line = []
        if line and line != "-":
            self.builder.add_text(line)
