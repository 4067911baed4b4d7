"""Plain-text extraction: decode with fallbacks and refuse binary junk."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator
from pathlib import Path

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument, Section

logger = logging.getLogger(__name__)

# Share of control characters above which a file is treated as binary.
_MAX_CONTROL_RATIO = 0.05
_SAMPLE_CHARS = 64 * 1024
# Big files are cut into sections at paragraph breaks so chunking can stream.
_SECTION_CHARS = 64 * 1024
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")


def parse_text(path: Path) -> ParsedDocument:
    """Read a plain-text file into one or more page-less, heading-less sections."""
    text = read_text(path)
    if not text.strip():
        raise EmptyDocumentError("The text file has no extractable text.")
    return ParsedDocument(title=None, sections=list(_split(text)))


def read_text(path: Path) -> str:
    """Decode a text file (UTF-8/UTF-16 with BOM, else cp1252, else latin-1)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"The file could not be read: {exc.strerror or exc}") from exc
    text = _decode(data)
    if _looks_binary(text):
        raise ParseError("The file could not be read: it contains binary data, not text.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError("The file could not be read: invalid UTF-16 text.") from exc
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    logger.debug("text decoded as latin-1 bytes=%s", len(data))
    return data.decode("latin-1")


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return False
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    # cp1252/latin-1 fallbacks map junk bytes to C1 controls and odd symbols.
    controls += sum(1 for ch in sample if 0x7F <= ord(ch) < 0xA0)
    return controls / len(sample) > _MAX_CONTROL_RATIO


def _split(text: str) -> Iterator[Section]:
    start = 0
    while start < len(text):
        end = min(start + _SECTION_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n\n", start, end)
            end = cut if cut > start else end
        piece = text[start:end].strip()
        if piece:
            yield Section(text=piece, page=None, heading="")
        start = end
