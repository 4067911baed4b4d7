"""HTML extraction with BeautifulSoup: main text under h1-h6 heading paths."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import Comment, Doctype, NavigableString, ProcessingInstruction, Tag

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument, Section
from retrieval.parsing.headings import SectionBuilder
from retrieval.parsing.text import read_bytes

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
    page = html_page(read_bytes(path))
    if not page.sections:
        raise EmptyDocumentError("The web page has no extractable text.")
    return page


def html_sections(markup: bytes | str) -> tuple[str | None, list[Section]]:
    """Parse HTML markup into (title, sections); also used for HTML e-mail bodies."""
    page = html_page(markup)
    return page.title, list(page.sections)


def html_page(markup: bytes | str) -> ParsedDocument:
    """Parse HTML markup: the ``<title>``, then the first top-level heading, and sections."""
    try:
        soup = BeautifulSoup(markup, "html.parser")
    except Exception as exc:
        raise ParseError(f"The web page could not be read: {type(exc).__name__}.") from exc
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag else ""
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    walker = _Walker()
    walker.walk(soup.body or soup)
    sections = walker.builder.finish()
    heading = walker.builder.top_heading
    return ParsedDocument(
        title=title or None, sections=sections, other_titles=(heading,) if heading else ()
    )


# Marks, on the walker's stack, the end of a block element.
_END_BLOCK = object()


class _Walker:
    """Depth-first walk that turns block elements into lines and headings into paths.

    Iterative (an explicit stack), so a page nested ten thousand levels deep
    does not hit Python's recursion limit.
    """

    def __init__(self) -> None:
        self.builder = SectionBuilder(page=None)
        self._line: list[str] = []

    def walk(self, root: Tag) -> None:
        """Visit ``root``'s descendants in document order."""
        stack: list[Any] = list(reversed(list(root.children)))
        while stack:
            node = stack.pop()
            if node is _END_BLOCK:
                self._end_line()
            elif isinstance(node, Comment | Doctype | ProcessingInstruction):
                continue
            elif isinstance(node, NavigableString):
                self._line.append(str(node))
            elif isinstance(node, Tag):
                stack.extend(self._visit_tag(node))

    def _visit_tag(self, tag: Tag) -> list[Any]:
        """Handle ``tag`` and return what to push on the stack (reversed order)."""
        name = tag.name.lower()
        children = list(reversed(list(tag.children)))
        if name in _HEADINGS:
            self._end_line()
            self.builder.add_heading(_HEADINGS[name], tag.get_text(" "))
            return []
        if name == "br":
            self._end_line()
            return []
        if name == "tr":
            self._end_line()
            cells = [" ".join(c.get_text(" ").split()) for c in tag.find_all(_CELLS)]
            self.builder.add_text(" | ".join(cells))
            return []
        if name == "li":
            self._end_line()
            self._line.append("- ")
            return [_END_BLOCK, *children]
        if name in _BLOCKS:
            self._end_line()
            return [_END_BLOCK, *children]
        return children

    def _end_line(self) -> None:
        line = " ".join("".join(self._line).split())
        self._line = []
        if line and line != "-":
            self.builder.add_text(line)
