"""Markdown extraction: ATX and setext headings build the heading path; text is kept as is."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.errors import EmptyDocumentError
from retrieval.models import ParsedDocument
from retrieval.parsing.headings import SectionBuilder
from retrieval.parsing.text import read_text

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def parse_markdown(path: Path) -> ParsedDocument:
    """Read a Markdown file into sections keyed by heading path (page is always None)."""
    builder = SectionBuilder(page=None)
    title: str | None = None
    paragraph: list[str] = []
    fence: str | None = None

    def flush_paragraph() -> None:
        if paragraph:
            builder.add_text("\n".join(paragraph))
            paragraph.clear()

    for line in read_text(path).splitlines():
        if fence is not None:
            paragraph.append(line)
            if line.strip().startswith(fence):
                fence = None
            continue
        fence_match = _FENCE.match(line)
        atx = _ATX.match(line)
        setext = _SETEXT.match(line)
        if fence_match:
            fence = fence_match.group(1)
            paragraph.append(line)
        elif atx:
            flush_paragraph()
            level, text = len(atx.group(1)), (atx.group(2) or "").strip()
            title = title or (text if level == 1 else None)
            builder.add_heading(level, text)
        elif setext and len(paragraph) == 1 and not line.strip().startswith("- "):
            # "Title\n=====" is a heading; a lone "---" after a blank line is a rule.
            text = paragraph.pop()
            level = 1 if setext.group(1).startswith("=") else 2
            title = title or (text.strip() if level == 1 else None)
            builder.add_heading(level, text)
        elif not line.strip():
            flush_paragraph()
        else:
            paragraph.append(line)
    flush_paragraph()
    sections = builder.finish()
    if not sections:
        raise EmptyDocumentError("The Markdown file has no extractable text.")
    others = (builder.top_heading,) if builder.top_heading else ()
    return ParsedDocument(title=title, sections=sections, other_titles=others)
