"""E-mail (.eml, RFC 822/MIME) extraction with the standard library's ``email`` package.

The first section carries the envelope (subject, from, to, date) so a search
for who sent what finds it; the body follows, the plain-text part when there
is one, else the HTML part read by the HTML parser. Attachments are listed by
name only (they are not parsed). The title is the subject.
"""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from retrieval.errors import EmptyDocumentError, ParseError
from retrieval.models import ParsedDocument, Section
from retrieval.parsing.html import html_sections

__all__ = ["parse_eml"]

logger = logging.getLogger(__name__)

_ENVELOPE = ("Subject", "From", "To", "Cc", "Date")


def parse_eml(path: Path) -> ParsedDocument:
    """Read an .eml file into an envelope section and body sections."""
    message = _open(path)
    try:
        subject = _header(message, "Subject")
        envelope = "\n".join(
            f"{name}: {value}" for name in _ENVELOPE if (value := _header(message, name))
        )
        sections = [Section(text=envelope, page=None, heading="")] if envelope else []
        sections.extend(_body_sections(message))
        attachments = _attachment_names(message)
    except (EmptyDocumentError, ParseError):
        raise
    except Exception as exc:  # malformed MIME structure or undecodable part
        raise ParseError(f"The e-mail could not be read: {type(exc).__name__}.") from exc
    if attachments:
        sections.append(
            Section(text="Attachments: " + ", ".join(attachments), page=None, heading="")
        )
    if not sections:
        raise EmptyDocumentError("The e-mail has no extractable text.")
    return ParsedDocument(title=subject or None, sections=sections)


def _open(path: Path) -> EmailMessage:
    try:
        with path.open("rb") as handle:
            message = BytesParser(policy=policy.default).parse(handle)
    except OSError as exc:
        raise ParseError(f"The file could not be read: {exc.strerror or exc}") from exc
    except Exception as exc:
        raise ParseError(f"The e-mail could not be read: {type(exc).__name__}.") from exc
    if not isinstance(message, EmailMessage) or not message.keys():
        raise ParseError("The e-mail could not be read: it has no message headers.")
    return message


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _body_sections(message: EmailMessage) -> list[Section]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
    content = body.get_content()
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    if body.get_content_subtype() == "html":
        return html_sections(content)[1]
    text = "\n".join(line.rstrip() for line in content.replace("\r\n", "\n").splitlines())
    return [Section(text=text.strip(), page=None, heading="")] if text.strip() else []


def _attachment_names(message: EmailMessage) -> list[str]:
    return [
        part.get_filename() or "unnamed"
        for part in message.iter_attachments()
        if isinstance(part, EmailMessage)
    ]
