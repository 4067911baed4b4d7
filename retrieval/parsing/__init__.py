"""Turn uploaded files into sections of text with page numbers and heading paths.

``parse_file`` parses in this process; ``read_document`` is what ingestion
calls: in a child process under ParsingConfig's limits (``sandbox``) unless
``ParsingConfig.isolate`` is off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from retrieval.config import ParsingConfig
from retrieval.models import ParsedDocument
from retrieval.parsing.archive import check_zip
from retrieval.parsing.detect import (
    EXTENSIONS,
    ZIP_FORMATS,
    Format,
    check_magic,
    check_size,
    detect_format,
)
from retrieval.parsing.titles import choose_title

__all__ = ["parse_file", "read_document", "supported_extensions"]

logger = logging.getLogger(__name__)


def supported_extensions() -> frozenset[str]:
    """Return the file extensions (with dot, lower case) that parse_file accepts."""
    return frozenset(EXTENSIONS)


def parse_file(
    path: Path,
    *,
    mime_type: str | None = None,
    filename: str | None = None,
    config: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen, safe as a default
) -> ParsedDocument:
    """Parse a file into a ParsedDocument, raising RetrievalError subclasses on failure."""
    path = Path(path)
    fmt = detect_format(path, mime_type=mime_type, filename=filename)
    size = check_size(path, config)
    check_magic(path, fmt)
    if fmt in ZIP_FORMATS:
        check_zip(path, config, label=ZIP_FORMATS[fmt][0])
    started = time.perf_counter()
    parsed = _parser(fmt)(path)
    logger.info("parsed format=%s bytes=%s seconds=%.3f", fmt, size, time.perf_counter() - started)
    title = choose_title((parsed.title, *parsed.other_titles), filename=filename or path.name)
    return ParsedDocument(title=title, sections=parsed.sections)


def read_document(
    path: Path,
    *,
    mime_type: str | None = None,
    filename: str | None = None,
    config: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen, safe as a default
    heartbeat: Callable[[], None] | None = None,
) -> ParsedDocument:
    """Parse a file for ingestion: isolated in a child process when ``config.isolate``."""
    if not config.isolate:
        return parse_file(path, mime_type=mime_type, filename=filename, config=config)
    from retrieval.parsing.sandbox import parse_isolated

    return parse_isolated(
        path, mime_type=mime_type, filename=filename, config=config, heartbeat=heartbeat
    )


def _parser(fmt: Format) -> Callable[[Path], ParsedDocument]:
    # Imported lazily: each parser pulls in its own third-party library.
    if fmt == "pdf":
        from retrieval.parsing.pdf import parse_pdf

        return parse_pdf
    if fmt == "docx":
        from retrieval.parsing.docx import parse_docx

        return parse_docx
    if fmt == "pptx":
        from retrieval.parsing.pptx import parse_pptx

        return parse_pptx
    if fmt == "xlsx":
        from retrieval.parsing.spreadsheet import parse_xlsx

        return parse_xlsx
    if fmt == "csv":
        from retrieval.parsing.spreadsheet import parse_csv

        return parse_csv
    if fmt == "eml":
        from retrieval.parsing.mail import parse_eml

        return parse_eml
    if fmt == "html":
        from retrieval.parsing.html import parse_html

        return parse_html
    if fmt == "markdown":
        from retrieval.parsing.markdown import parse_markdown

        return parse_markdown
    from retrieval.parsing.text import parse_text

    return parse_text
