"""Decompression-bomb check for the zip-based Office formats (DOCX, PPTX, XLSX).

Checked before a parser opens the file, from the zip's central directory only:
the sizes members declare bound what Python's ``zipfile`` will ever inflate
(it stops reading a member at its declared size and checks the CRC), so a
member that lies about its size fails its CRC check instead of filling memory.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from retrieval.config import ParsingConfig
from retrieval.errors import DocumentTooLargeError, ParseError
from retrieval.parsing.titles import display_text

__all__ = ["check_zip"]

logger = logging.getLogger(__name__)

# Parts the parsers read as XML (text, slides, sheets, relationships, styles).
_PARSED_SUFFIXES = (".xml", ".rels", ".vml")
# Members smaller than this are never called bombs, whatever their ratio (tiny XML
# parts of repeated characters compress extremely well and are harmless).
_RATIO_FLOOR_BYTES = 1024 * 1024


def check_zip(path: Path, config: ParsingConfig, *, label: str) -> None:
    """Raise when the zip at ``path`` is unreadable or would unpack to too much data."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ParseError(
            f"The {label} is damaged and could not be read: not a valid zip package."
        ) from exc
    if len(members) > config.max_zip_members:
        raise DocumentTooLargeError(
            f"The {label} holds {len(members):,} parts; the limit is {config.max_zip_members:,}."
        )
    total = sum(member.file_size for member in members)
    if total > config.max_unzipped_bytes:
        logger.info("zip refused path=%s unpacked=%s", path.name, total)
        raise DocumentTooLargeError(
            f"The {label} would unpack to {_megabytes(total)} MB; the limit is "
            f"{_megabytes(config.max_unzipped_bytes)} MB (a decompression bomb?)."
        )
    for member in members:
        _check_part(member, config, label=label)
        if member.file_size < _RATIO_FLOOR_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > config.max_zip_ratio:
            logger.info("zip refused path=%s member_ratio=%.0f", path.name, ratio)
            raise DocumentTooLargeError(
                f"The {label} contains a part compressed {ratio:,.0f} to 1; the limit is "
                f"{config.max_zip_ratio:,.0f} to 1 (a decompression bomb?)."
            )


def _check_part(member: zipfile.ZipInfo, config: ParsingConfig, *, label: str) -> None:
    """An XML part is parsed whole into memory (about 16x its size): cap each one.

    A low-ratio bomb (text with some randomness compresses about 10:1) passes the
    ratio check; a 100 MB word/document.xml took 1.6 GB and minutes to read.
    Pictures and other binary parts are copied, never parsed: the total limit
    and the parser's memory limit bound them.
    """
    if not member.filename.lower().endswith(_PARSED_SUFFIXES):
        return
    if member.file_size > config.max_part_bytes:
        name = display_text(member.filename)[:80]
        logger.info("zip refused member=%s unpacked=%s", name, member.file_size)
        raise DocumentTooLargeError(
            f"The {label} holds a part ({name}) that unpacks to {_megabytes(member.file_size)} "
            f"MB; the limit for one part is {_megabytes(config.max_part_bytes)} MB."
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}"
