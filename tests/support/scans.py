"""Scanned documents made in the test: sentences drawn on a page image, saved as an image-only PDF.

Each page is an A4 sheet at 200 dpi (a common scanner setting) in 11 pt type,
drawn with Pillow; the PDF holds only the images, no text layer, as a scanner
writes it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.environment import IN_CI

ENGLISH_SCAN = [
    "Forklift drivers renew their licence every eighteen months at the Porto depot.",
    "The loading bay closes at seven in the evening on weekdays.",
]
PORTUGUESE_SCAN = [
    "O reembolso das despesas de viagem exige sempre os recibos originais.",
    "As férias devem ser marcadas com trinta dias de antecedência.",
]
DPI = 200
_A4_PIXELS = (1654, 2339)  # 8.27 x 11.69 inches at 200 dpi
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_WORD = re.compile(r"\w+")


def require_tesseract() -> None:
    """Skip (fail in CI, which installs it) when Tesseract is not on PATH."""
    if shutil.which("tesseract") is None:
        reason = "tesseract-ocr is not installed (ops/services/install-system-deps.sh)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def draw_page(lines: list[str]):  # type: ignore[no-untyped-def]
    """A white A4 page at 200 dpi with ``lines`` in black 11 pt type (a PIL image)."""
    from PIL import Image, ImageDraw, ImageFont

    size = round(11 / 72 * DPI)
    font = (
        ImageFont.truetype(str(_FONT), size)
        if _FONT.is_file()
        else ImageFont.load_default(size=size)
    )
    page = Image.new("L", _A4_PIXELS, 255)
    drawing = ImageDraw.Draw(page)
    y = 250
    for line in lines:
        drawing.text((150, y), line, fill=0, font=font)
        y += round(size * 1.8)
    return page


def make_scanned_pdf(path: Path, pages: list[list[str]]) -> Path:
    """An image-only PDF, one scanned page per list of lines."""
    images = [draw_page(lines) for lines in pages]
    images[0].save(path, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return path


def make_scan_image(path: Path, pages: list[list[str]], *, fmt: str) -> Path:
    """A PNG/JPEG of one page, or a TIFF with one frame per page, at 200 dpi."""
    images = [draw_page(lines) for lines in pages]
    extra = {"save_all": True, "append_images": images[1:]} if len(images) > 1 else {}
    images[0].save(path, format=fmt, dpi=(DPI, DPI), **extra)
    return path


def share_of_words(text: str, lines: list[str]) -> float:
    """The share of the words of ``lines`` that OCR got right in ``text`` (case-insensitive)."""
    found = {word.lower() for word in _WORD.findall(text)}
    expected = [word.lower() for line in lines for word in _WORD.findall(line)]
    return sum(word in found for word in expected) / len(expected)
