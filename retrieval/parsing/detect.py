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

Format = Literal["pdf", "docx", "pptx", "xlsx", "csv", "eml", "html", "markdown", "text", "image"]

EXTENSIONS: dict[str, Format] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
    ".eml": "eml",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}

MIME_TYPES: dict[str, Format] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/csv": "csv",
    "message/rfc822": "eml",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
    "image/png": "image",
    "image/jpeg": "image",
    "image/tiff": "image",
}

# What each format is called in messages to administrators ("The PDF took longer...").
FORMAT_LABELS: dict[Format, str] = {
    "pdf": "PDF",
    "docx": "Word document",
    "pptx": "PowerPoint file",
    "xlsx": "Excel workbook",
    "csv": "CSV file",
    "eml": "e-mail",
    "html": "web page",
    "markdown": "Markdown file",
    "text": "text file",
    "image": "image",
}

# Binary Office formats from before 2007, and what to save them as instead.
LEGACY_OFFICE: dict[str, str] = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pptx"}
_LEGACY_MIME_TYPES: dict[str, str] = {
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
}
# Zip-based formats, the name an administrator knows them by, and their legacy twin.
ZIP_FORMATS: dict[str, tuple[str, str]] = {
    "docx": ("Word document", ".doc"),
    "pptx": ("PowerPoint file", ".ppt"),
    "xlsx": ("Excel workbook", ".xls"),
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# PNG, JPEG, TIFF (little- and big-endian): the images OCR reads.
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
# Password-protected Office files are OLE containers holding an "EncryptionInfo" stream.
_OLE_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_HEAD_BYTES = 4096


def detect_format(path: Path, *, mime_type: str | None, filename: str | None) -> Format:
    """Return the format for a file from its extension, falling back to its MIME type."""
    suffix = Path(filename or path.name).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    mime = (mime_type or "").split(";")[0].strip().lower()
    legacy = suffix if suffix in LEGACY_OFFICE else _LEGACY_MIME_TYPES.get(mime)
    if legacy is not None:
        raise UnsupportedFormatError(legacy_message(legacy))
    if suffix == ".msg" or mime == "application/vnd.ms-outlook":
        raise UnsupportedFormatError(
            "Outlook .msg files are not supported: save the e-mail as .eml and upload it again."
        )
    if mime in MIME_TYPES:
        return MIME_TYPES[mime]
    label = suffix or mime or "unknown"
    raise UnsupportedFormatError(f"This file type is not supported: {label}.")


def legacy_message(suffix: str) -> str:
    """The reason given for a pre-2007 binary Office file (.doc, .xls, .ppt)."""
    modern = LEGACY_OFFICE[suffix]
    return (
        f"Unsupported legacy Office format ({suffix}): "
        f"save the file as {modern} and upload it again."
    )


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
    if fmt == "image" and not head.startswith(_IMAGE_MAGIC):
        raise ParseError(
            "The image is damaged and could not be read: not a PNG, JPEG or TIFF file."
        )
    if fmt in ZIP_FORMATS and not head.startswith(_ZIP_MAGIC):
        label, legacy = ZIP_FORMATS[fmt]
        if head.startswith(_OLE_MAGIC):
            if _is_encrypted_office(path):
                raise EncryptedDocumentError(
                    f"The {label} is password protected: remove the password and upload it again."
                )
            raise UnsupportedFormatError(legacy_message(legacy))
        modern = f".{fmt}"
        raise ParseError(f"The {label} is damaged and could not be read: not a {modern} file.")


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
