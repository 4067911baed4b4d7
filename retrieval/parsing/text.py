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
    text = _decode(read_bytes(path))
    if _looks_binary(text):
        raise ParseError("The file could not be read: it contains binary data, not text.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: Path) -> bytes:
    """The file's bytes; an unreadable file is a ``ParseError`` with the system's reason."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(f"The file could not be read: {exc.strerror or exc}") from exc


def _decode(data: bytes) -> str:
    wide = _wide_encoding(data)
    if wide is not None:
        try:
            return data.decode(wide)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The file could not be read: invalid {wide.upper()} text.") from exc
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    logger.debug("text decoded as latin-1 bytes=%s", len(data))
    return data.decode("latin-1")


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32/UTF-16 from a byte-order mark, or UTF-16 guessed from its zero bytes."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:_SAMPLE_CHARS]
    if len(sample) < 4 or len(sample) % 2:
        return None
    # Mostly-ASCII UTF-16 without a BOM: every other byte is zero.
    even_zeros = sample[0::2].count(0) / (len(sample) // 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) // 2)
    if odd_zeros > 0.6 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.6 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


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
            end = _cut_point(text, start, end)
        piece = text[start:end].strip()
        if piece:
            yield Section(text=piece, page=None, heading="")
        start = end


def _cut_point(text: str, start: int, end: int) -> int:
    # Prefer a paragraph break, then a line break, then a space: never split a word
    # unless a 64 KB run has no whitespace at all.
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, start, end)
        if cut > start:
            return cut
    return end
