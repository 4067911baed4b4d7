"""OCR: scanned PDF pages and images read by Tesseract, in English and Portuguese.

The scans are drawn in the test (tests/support/scans.py) and parsed the way
ingestion parses them, in the sandboxed child process. OCR is noisy, so a page
passes when most of its words come out; page numbers must be exact.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from retrieval import DocumentTooLargeError, EmptyDocumentError, ParseError, ParsingConfig
from retrieval.parsing import read_document, supported_extensions
from tests.support.parsing_files import make_drawing_pdf
from tests.support.scans import (
    ENGLISH_SCAN,
    PORTUGUESE_SCAN,
    make_scan_image,
    make_scanned_pdf,
    require_tesseract,
    share_of_words,
)
from tests.unit.retrieval.conftest import write_pdf

DEFAULTS = ParsingConfig()
MISSING = ParsingConfig(ocr_command="/nonexistent/tesseract")


@pytest.fixture(scope="module")
def scanned_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two scanned pages: English, then Portuguese."""
    folder = tmp_path_factory.mktemp("scans")
    return make_scanned_pdf(folder / "scan.pdf", [ENGLISH_SCAN, PORTUGUESE_SCAN])


def _pages(path: Path, config: ParsingConfig = DEFAULTS) -> dict[int | None, str]:
    parsed = read_document(path, filename=path.name, config=config)
    return {section.page: section.text for section in parsed.sections}


def test_a_scanned_pdf_is_read_page_by_page_in_english_and_portuguese(scanned_pdf: Path) -> None:
    require_tesseract()

    pages = _pages(scanned_pdf)

    assert sorted(pages) == [1, 2]
    assert share_of_words(pages[1], ENGLISH_SCAN) >= 0.9, pages[1]
    assert share_of_words(pages[2], PORTUGUESE_SCAN) >= 0.9, pages[2]
    assert "Forklift" in pages[1] and "eighteen" in pages[1]
    assert "reembolso" in pages[2] and "recibos" in pages[2]


def test_only_the_pages_without_a_text_layer_are_read_by_ocr(tmp_path: Path) -> None:
    require_tesseract()
    from pypdf import PdfReader, PdfWriter

    text = write_pdf(tmp_path / "text.pdf", [["The typed cover page lists the canteen menu."]])
    scan = make_scanned_pdf(tmp_path / "scan.pdf", [ENGLISH_SCAN])
    writer = PdfWriter()
    for source in (text, scan):
        writer.append(PdfReader(source))
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as handle:
        writer.write(handle)

    pages = _pages(mixed)

    assert pages[1] == "The typed cover page lists the canteen menu."
    assert share_of_words(pages[2], ENGLISH_SCAN) >= 0.9, pages[2]


@pytest.mark.parametrize(("name", "fmt"), [("notice.png", "PNG"), ("notice.jpg", "JPEG")])
def test_an_image_is_read_by_ocr(tmp_path: Path, name: str, fmt: str) -> None:
    require_tesseract()
    image = make_scan_image(tmp_path / name, [PORTUGUESE_SCAN], fmt=fmt)

    parsed = read_document(image, filename=name)
    sections = list(parsed.sections)

    assert [section.page for section in sections] == [1]
    assert share_of_words(sections[0].text, PORTUGUESE_SCAN) >= 0.9, sections[0].text
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff"} <= supported_extensions()


def test_each_frame_of_a_tiff_is_a_page(tmp_path: Path) -> None:
    require_tesseract()
    tiff = make_scan_image(tmp_path / "fax.tiff", [PORTUGUESE_SCAN, ENGLISH_SCAN], fmt="TIFF")

    pages = _pages(tiff)

    assert sorted(pages) == [1, 2]
    assert share_of_words(pages[1], PORTUGUESE_SCAN) >= 0.9, pages[1]
    assert share_of_words(pages[2], ENGLISH_SCAN) >= 0.9, pages[2]


def test_without_tesseract_a_scan_fails_with_a_readable_reason(
    scanned_pdf: Path, tmp_path: Path
) -> None:
    image = make_scan_image(tmp_path / "notice.png", [ENGLISH_SCAN], fmt="PNG")

    with pytest.raises(EmptyDocumentError) as pdf:
        _pages(scanned_pdf, MISSING)
    with pytest.raises(EmptyDocumentError) as png:
        _pages(image, MISSING)
    with pytest.raises(EmptyDocumentError) as off:
        _pages(scanned_pdf, ParsingConfig(ocr=False))

    assert pdf.value.message == (
        "The PDF is scanned: it has no text layer and OCR is not installed (tesseract-ocr)."
    )
    assert png.value.message == (
        "The image can only be read by OCR, and OCR is not installed (tesseract-ocr)."
    )
    assert off.value.message == "The PDF is scanned: it has no text layer and OCR is turned off."


def test_a_language_without_its_data_is_named_with_its_package(scanned_pdf: Path) -> None:
    require_tesseract()

    with pytest.raises(EmptyDocumentError) as caught:
        _pages(scanned_pdf, ParsingConfig(ocr_languages="eng+klingon"))

    assert caught.value.message == (
        "The PDF is scanned: it has no text layer and OCR lacks the language data for "
        "klingon (tesseract-ocr-klingon)."
    )


def test_a_blank_vector_page_is_not_taken_for_a_scan(tmp_path: Path) -> None:
    path = make_drawing_pdf(tmp_path / "drawing.pdf")

    with pytest.raises(EmptyDocumentError) as caught:
        _pages(path, MISSING)

    assert caught.value.message == "The PDF has no extractable text (scanned?)."


def test_ocr_work_is_bounded_by_pages_and_pixels(scanned_pdf: Path, tmp_path: Path) -> None:
    require_tesseract()
    page = make_scan_image(tmp_path / "page.png", [ENGLISH_SCAN], fmt="PNG")

    with pytest.raises(DocumentTooLargeError) as pages:
        _pages(scanned_pdf, ParsingConfig(ocr_max_pages=1))
    with pytest.raises(DocumentTooLargeError) as pixels:
        _pages(page, ParsingConfig(ocr_max_pixels=1_000_000))

    assert pages.value.message == (
        "The PDF has more pages without a text layer than OCR reads in one document (1, the limit)."
    )
    assert pixels.value.message == (
        "The image is 1,654×2,339 pixels; OCR reads at most 1 million (the limit)."
    )


def test_a_file_named_as_an_image_that_is_not_one_is_damaged(tmp_path: Path) -> None:
    fake = tmp_path / "photo.png"
    fake.write_text("not an image at all")

    with pytest.raises(ParseError) as caught:
        _pages(fake)

    assert caught.value.message == (
        "The image is damaged and could not be read: not a PNG, JPEG or TIFF file."
    )


def test_a_parse_stopped_by_its_time_limit_leaves_no_ocr_program_running(
    tmp_path: Path, scanned_pdf: Path
) -> None:
    """The wall-clock limit kills the parser child and the Tesseract it started."""
    started = tmp_path / "started"
    started.mkdir()
    hanging = tmp_path / "tesseract"
    # Answers the probes like Tesseract, then hangs on the page; mkdir, since the
    # parser child may not write files.
    hanging.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0" ;;\n'
        "  --list-langs) printf 'List of available languages (2):\\neng\\npor\\n' ;;\n"
        f'  *) mkdir "{started}/$$"; exec sleep 600 ;;\n'
        "esac\n"
    )
    hanging.chmod(0o755)
    warm = tmp_path / "warm.txt"
    warm.write_text("Starts the parser process, so the limit below counts only the OCR.")
    list(read_document(warm).sections)

    with pytest.raises(DocumentTooLargeError) as caught:
        _pages(scanned_pdf, ParsingConfig(ocr_command=str(hanging), max_parse_wall_s=3.0))

    assert caught.value.message == "Reading the PDF took longer than 3 seconds (the limit)."
    [pid] = [int(entry.name) for entry in started.iterdir()]
    assert _gone_within(pid, seconds=15.0), f"OCR process {pid} still runs"


def _gone_within(pid: int, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in {"Z", "X"}:  # killed, waiting for whoever reaps orphans
            return True
        time.sleep(0.1)
    return False
