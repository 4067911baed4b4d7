"""A conversation as a PDF (reportlab, BSD): the same content as the Markdown export.

Title, the date line, each question and answer under its heading, the answers'
citations as superscript footnote numbers, and the footnotes (document, page,
heading) at the end. The text is the user's and the documents': everything is
escaped before reportlab's paragraph markup reads it. Helvetica's encoding
covers English and Portuguese.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer

from webapp.chat.export import FOOTNOTE_REF, conversation_exported
from webapp.chat.models import Conversation

__all__ = ["conversation_pdf"]


def conversation_pdf(*, user: Any, conversation: Conversation) -> bytes:
    """The conversation (one of ``user``'s) as PDF bytes."""
    exported = conversation_exported(user=user, conversation=conversation)
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(escape(exported.title), styles["Title"]),
        Paragraph(escape(exported.intro), styles["Italic"]),
        Spacer(1, 4 * mm),
    ]
    for heading, text in exported.turns:
        story.append(Paragraph(escape(heading), styles["Heading2"]))
        for paragraph in text.split("\n\n"):
            story.append(Paragraph(_with_refs(paragraph), styles["BodyText"]))
    if exported.footnotes:
        story += [Spacer(1, 4 * mm), HRFlowable(width="100%")]
        for number, note in enumerate(exported.footnotes, start=1):
            story.append(Paragraph(f"<super>{number}</super> {escape(note)}", styles["BodyText"]))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=exported.title,
        author="Enclave",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    )
    document.build(story)
    return buffer.getvalue()


def _with_refs(text: str) -> str:
    """Escaped paragraph text; "[^n]" footnote references as superscript numbers."""
    escaped = escape(text).replace("\n", "<br/>")
    return FOOTNOTE_REF.sub(lambda match: f"<super>{match.group(1)}</super>", escaped)
