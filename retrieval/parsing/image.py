"""Images (PNG, JPEG, TIFF) read by OCR, one section per frame (a TIFF's pages).

Pillow reads the image's size from its header before decoding it, so an image
over ``ParsingConfig.ocr_max_pixels`` (a decompression bomb, or a poster
scanned at 1200 dpi) fails before it takes memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.config import ParsingConfig
from retrieval.errors import DocumentTooLargeError, EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument, Section
from retrieval.parsing.ocr import Ocr

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["parse_image"]

logger = logging.getLogger(__name__)

# Scans usually say their resolution; a photo or screenshot that does not is read as 300 dpi.
_DEFAULT_DPI = 300


def parse_image(
    path: Path,
    config: ParsingConfig = ParsingConfig(),  # noqa: B008 - frozen, safe as a default
) -> ParsedDocument:
    """Check the image opens and can be read by OCR; its text comes lazily, frame by frame."""
    ocr, reason = Ocr.for_document(config, label="image")
    if ocr is None:
        raise EmptyDocumentError(f"The image can only be read by OCR, and {reason}.")
    _open(path, config).close()  # a damaged or oversized image fails before any OCR
    return ParsedDocument(title=None, sections=_frames(path, config, ocr))


def _open(path: Path, config: ParsingConfig) -> Image:
    from PIL import Image as PilImage
    from PIL import UnidentifiedImageError

    try:
        image = PilImage.open(path)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ParseError(f"The image is damaged and could not be read: {reason}") from exc
    width, height = image.size
    if width * height > config.ocr_max_pixels:
        image.close()
        raise DocumentTooLargeError(
            f"The image is {width:,}×{height:,} pixels; OCR reads at most "
            f"{config.ocr_max_pixels / 1e6:g} million (the limit)."
        )
    return image


def _frames(path: Path, config: ParsingConfig, ocr: Ocr) -> Iterator[Section]:
    from PIL import ImageSequence

    found_text = False
    with _open(path, config) as image:
        dpi = _dpi(image.info.get("dpi"))
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if frame.size[0] * frame.size[1] > config.ocr_max_pixels:
                raise DocumentTooLargeError(
                    f"Page {number} of the image is over {config.ocr_max_pixels / 1e6:g} million "
                    "pixels (the limit)."
                )
            try:
                grey = frame.convert("L")
            except (OSError, ValueError) as exc:
                raise ParseError(
                    f"The image is damaged and could not be read: page {number} ({exc})."
                ) from exc
            text = _clean(ocr.read(grey, dpi=dpi, page=number))
            if text:
                found_text = True
                yield Section(text=text, page=number, heading="")
    logger.info("image read by ocr pages=%s", ocr.pages_read)
    if not found_text:
        raise EmptyDocumentError("OCR found no text in the image.")


def _dpi(value: object) -> int:
    """The image's horizontal resolution when it states a plausible one."""
    if isinstance(value, tuple) and value:
        try:
            dpi = round(float(value[0]))
        except (TypeError, ValueError):
            return _DEFAULT_DPI
        if 70 <= dpi <= 2400:
            return dpi
    return _DEFAULT_DPI


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\x00", "").splitlines()]
    return "\n".join(lines).strip()
