"""E-mail (.eml) parsing with the standard library: envelope, body, HTML body, attachments."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from retrieval import ParseError, Section, UnsupportedFormatError, parse_file


def _message() -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Office move on Friday"
    message["From"] = "Facilities <facilities@example.com>"
    message["To"] = "staff@example.com"
    message["Date"] = "Fri, 06 Mar 2026 09:30:00 +0000"
    return message


def test_eml_plain_text_body_with_envelope_and_attachment(tmp_path: Path) -> None:
    message = _message()
    message.set_content("Hello all,\r\n\r\nThe Lisbon office moves to floor 4 on Friday.\r\n")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="map.pdf")
    path = tmp_path / "move.eml"
    path.write_bytes(bytes(message))

    parsed = parse_file(path)

    assert parsed.title == "Office move on Friday"
    assert list(parsed.sections) == [
        Section(
            text=(
                "Subject: Office move on Friday\n"
                "From: Facilities <facilities@example.com>\n"
                "To: staff@example.com\n"
                "Date: Fri, 06 Mar 2026 09:30:00 +0000"
            ),
            page=None,
            heading="",
        ),
        Section(
            text="Hello all,\n\nThe Lisbon office moves to floor 4 on Friday.",
            page=None,
            heading="",
        ),
        Section(text="Attachments: map.pdf", page=None, heading=""),
    ]


def test_eml_html_only_body_goes_through_the_html_parser(tmp_path: Path) -> None:
    message = _message()
    message.set_content(
        "<html><head><style>p{}</style></head><body><h1>Move</h1>"
        "<p>Pack your desk by <b>Thursday</b>.</p></body></html>",
        subtype="html",
    )
    path = tmp_path / "move.eml"
    path.write_bytes(bytes(message))

    sections = list(parse_file(path).sections)

    assert sections[1:] == [Section(text="Pack your desk by Thursday.", page=None, heading="Move")]


def test_eml_prefers_the_plain_part_of_an_alternative(tmp_path: Path) -> None:
    message = _message()
    message.set_content("Plain: desks numbered 1 to 40.")
    message.add_alternative("<p>HTML: desks numbered 1 to 40.</p>", subtype="html")
    path = tmp_path / "alt.eml"
    path.write_bytes(bytes(message))

    assert list(parse_file(path).sections)[1] == Section(
        text="Plain: desks numbered 1 to 40.", page=None, heading=""
    )


def test_eml_without_headers_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "junk.eml"
    path.write_bytes(b"")

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.message == "The e-mail could not be read: it has no message headers."


def test_outlook_msg_is_unsupported_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "note.msg"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    with pytest.raises(UnsupportedFormatError) as caught:
        parse_file(path)

    assert caught.value.message == (
        "Outlook .msg files are not supported: save the e-mail as .eml and upload it again."
    )
