"""Files made in the test that hit a parser's limits, carry titles, or hide a bomb.

Each is written by a real writer (reportlab, pypdf, python-docx, python-pptx,
openpyxl) and then altered the way real files are: nothing is downloaded.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

from tests.support.documents import make_pdf

# pypdf refuses arrays with more elements than this (pypdf.Configuration's default).
PYPDF_ARRAY_LIMIT = 100_000

FILING_PAGES = [
    ["Quarterly report of Aldebaran Shipping.", "Revenue grew eleven percent to 812 million."],
    ["Operating margin was twenty-three percent in the third quarter of 2026."],
    ["Capital expenditure rose to 4.2 billion for new container vessels."],
]


def make_locked_pdf(
    path: Path, text: str, *, user_password: str = "s3cret", algorithm: str = "AES-256"
) -> Path:
    """A one-page text PDF encrypted by pypdf (an empty ``user_password``: opens, restricted)."""
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(path.with_suffix(".plain"), [[text]])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def make_drawing_pdf(path: Path) -> Path:
    """A one-page PDF with a filled rectangle and no text at all (no text layer, no image)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.rect(50, 50, 200, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def make_array_limit_pdf(path: Path, *, title: str | None = "Form 10-Q Third Quarter 2026") -> Path:
    """A three-page filing that pypdf cannot open: its catalog holds a 100,001-element array.

    Real SEC filings stop pypdf the same way ("Reached maximum array element
    count") while PDFium reads every page.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    plain = make_pdf(path.with_suffix(".plain.pdf"), FILING_PAGES)
    writer = PdfWriter(clone_from=PdfReader(plain))
    if title:
        writer.add_metadata({"/Title": title})
    bulk = ArrayObject([NumberObject(0)] * (PYPDF_ARRAY_LIMIT + 1))
    writer._root_object[NameObject("/EnclaveBulk")] = bulk
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def make_page_limit_pdf(path: Path) -> Path:
    """Three pages; pypdf reads pages 1 and 3, but page 2's text array is over its limit."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    plain = make_pdf(path.with_suffix(".plain.pdf"), FILING_PAGES)
    writer = PdfWriter(clone_from=PdfReader(plain))
    page = writer.pages[1]
    font = next(iter(page["/Resources"]["/Font"].keys()))
    text = FILING_PAGES[1][0].encode()
    spacing = b" 0" * (PYPDF_ARRAY_LIMIT + 1)
    content = (
        b"BT " + font.encode() + b" 12 Tf 60 780 Td (" + text + b") Tj "
        b"0 -20 Td [" + spacing + b" (.) ] TJ ET"
    )
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def make_titled_docx(path: Path, *, core_title: str | None, heading: str, body: str) -> Path:
    """A .docx with a core-properties title (or none), a Heading 1 and a paragraph."""
    import docx

    document = docx.Document()
    document.core_properties.title = core_title or ""
    document.add_heading(heading, level=1)
    document.add_paragraph(body)
    document.save(str(path))
    return path


def make_titled_pptx(path: Path, *, core_title: str | None, slide_title: str, body: str) -> Path:
    """A one-slide .pptx with a core-properties title (or none)."""
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title = core_title or ""
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = slide_title
    slide.placeholders[1].text_frame.text = body
    deck.save(str(path))
    return path


def make_low_ratio_docx_bomb(path: Path, *, xml_mb: int) -> Path:
    """A .docx whose word/document.xml is ``xml_mb`` MB of numbers (about 3:1 compressed).

    Random digits compress poorly, so the zip's ratio check does not see a bomb;
    python-docx would hold the whole XML tree (about 16x its size) in memory.
    """
    import docx

    source = path.with_suffix(".src.docx")
    docx.Document().save(str(source))
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    source.unlink()
    rng = random.Random(7)
    paragraph_count = xml_mb * 1024 * 1024 // 120
    paragraphs = "".join(
        "<w:p><w:r><w:t>"
        + " ".join(str(rng.randint(0, 10**6)) for _ in range(12))
        + "</w:t></w:r></w:p>"
        for _ in range(paragraph_count)
    )
    head, tail = parts["word/document.xml"].decode("utf-8").split("<w:body>")
    parts["word/document.xml"] = (head + "<w:body>" + paragraphs + tail).encode("utf-8")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path
