"""Turn uploaded files into sections of text with page numbers and heading paths.

``parse_file`` parses in this process; ``read_document`` is what ingestion
calls: in a child process under ParsingConfig's limits (``sandbox``) unless
``ParsingConfig.isolate`` is off.
"""

from __future__ import annotations

import importlib
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
    parser = _parser(fmt)
    parsed = parser(path, config) if fmt in _TAKE_CONFIG else parser(path)
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


# Each parser pulls in its own third-party library, so it is imported when first used.
_PARSERS: dict[Format, tuple[str, str]] = {
    "pdf": ("retrieval.parsing.pdf", "parse_pdf"),
    "docx": ("retrieval.parsing.docx", "parse_docx"),
    "pptx": ("retrieval.parsing.pptx", "parse_pptx"),
    "xlsx": ("retrieval.parsing.spreadsheet", "parse_xlsx"),
    "csv": ("retrieval.parsing.spreadsheet", "parse_csv"),
    "eml": ("retrieval.parsing.mail", "parse_eml"),
    "html": ("retrieval.parsing.html", "parse_html"),
    "markdown": ("retrieval.parsing.markdown", "parse_markdown"),
    "text": ("retrieval.parsing.text", "parse_text"),
    "image": ("retrieval.parsing.image", "parse_image"),
}
# Parsers that read ParsingConfig (the OCR settings) besides the path.
_TAKE_CONFIG: frozenset[Format] = frozenset({"pdf", "image"})


def _parser(fmt: Format) -> Callable[..., ParsedDocument]:
    module, name = _PARSERS[fmt]
    parser: Callable[..., ParsedDocument] = getattr(importlib.import_module(module), name)
    return parser
