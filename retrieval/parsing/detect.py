"""Pick a parser from the file name or MIME type and check the file's first bytes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from retrieval.config import ParsingConfig
from retrieval.errors import (
    DocumentTooLargeError,
    EncryptedDocumentError,
    ParseError,
    UnsupportedFormatError,
)

logger = logging.getLogger(__name__)

Format = Literal["pdf", "docx", "html", "markdown", "text"]

EXTENSIONS: dict[str, Format] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}

MIME_TYPES: dict[str, Format] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# Password-protected Office files are OLE containers holding an "EncryptionInfo" stream.
_OLE_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_HEAD_BYTES = 4096


def detect_format(path: Path, *, mime_type: str | None, filename: str | None) -> Format:
    """Return the format for a file from its extension, falling back to its MIME type."""
    suffix = Path(filename or path.name).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    mime = (mime_type or "").split(";")[0].strip().lower()
    if mime in MIME_TYPES:
        return MIME_TYPES[mime]
    label = suffix or mime or "unknown"
    if suffix == ".doc" or mime == "application/msword":
        raise UnsupportedFormatError(
            "Legacy Word (.doc) files are not supported: "
            "save the file as .docx and upload it again."
        )
    raise UnsupportedFormatError(f"This file type is not supported: {label}.")


def check_size(path: Path, config: ParsingConfig) -> int:
    """Return the file size, raising when the file is missing or over the limit."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ParseError(f"The file could not be read: {exc.strerror or exc}") from exc
    if size > config.max_file_bytes:
        raise DocumentTooLargeError(
            f"The file is {_megabytes(size)} MB; the limit is "
            f"{_megabytes(config.max_file_bytes)} MB."
        )
    return size


def check_magic(path: Path, fmt: Format) -> None:
    """Raise when the file's first bytes contradict its declared format."""
    head = _read_head(path)
    if fmt == "pdf" and b"%PDF" not in head[:1024]:
        raise ParseError("The PDF is damaged and could not be read: not a PDF file.")
    if fmt == "docx" and not head.startswith(_ZIP_MAGIC):
        if head.startswith(_OLE_MAGIC):
            if _is_encrypted_office(path):
                raise EncryptedDocumentError(
                    "The Word document is password protected: "
                    "remove the password and upload it again."
                )
            raise UnsupportedFormatError(
                "This is a legacy Word (.doc) file: save it as .docx and upload it again."
            )
        raise ParseError("The Word document is damaged and could not be read: not a .docx file.")


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise ParseError(f"The file could not be read: {exc.strerror or exc}") from exc


def _is_encrypted_office(path: Path) -> bool:
    # Encrypted OOXML files are small OLE wrappers; the stream name sits in the directory.
    with path.open("rb") as handle:
        return _OLE_ENCRYPTION_INFO in handle.read(1024 * 1024)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"
