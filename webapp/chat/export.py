"""A conversation as a Markdown file: each question, its answer, citations as footnotes.

The answers are read as the user may read them now (``conversation_messages_for``):
an answer that drew on a document they can no longer read is exported withheld, as
the chat shows it. Citation markers become numbered footnotes naming the documents;
footnote numbers run through the whole file, since each answer numbers its own
sources from 1.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from inference.citations import CITATION_MARKER
from webapp.chat.models import Conversation, Message
from webapp.chat.selectors import conversation_messages_for

__all__ = ["conversation_export_filename", "conversation_markdown"]


def conversation_markdown(*, user: Any, conversation: Conversation) -> str:
    """The conversation (one of ``user``'s) as Markdown, footnotes at the end."""
    created = timezone.localtime(conversation.created_at).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"# {_one_line(conversation.title)}",
        "",
        gettext("Conversation started on %(date)s, exported from Enclave.") % {"date": created},
        "",
    ]
    footnotes: list[str] = []
    for message in conversation_messages_for(user=user, conversation=conversation):
        if message.role == Message.Role.USER:
            lines += [f"## {gettext('Question')}", "", message.text.strip(), ""]
        else:
            lines += [f"## {gettext('Answer')}", "", _answer_text(message, footnotes), ""]
    if footnotes:
        lines += ["---", "", *footnotes, ""]
    return "\n".join(lines)


def conversation_export_filename(conversation: Conversation) -> str:
    """An ASCII file name for the export, from the title."""
    return f"{slugify(conversation.title)[:60] or 'conversation'}.md"


def _answer_text(message: Message, footnotes: list[str]) -> str:
    """The answer with its cited markers as footnote references; appends their footnotes."""
    if not message.text.strip():
        return f"_{gettext('No answer could be produced.')}_"
    sources = {
        int(c["number"]): c
        for c in message.citations or []
        if isinstance(c, dict) and isinstance(c.get("number"), int)
    }
    labels: dict[int, int] = {}

    def replace(match: re.Match[str]) -> str:
        numbers = [int(part) for part in match.group(1).split(",")]
        # A marker of a passage that was not cited stays as text (as in the chat).
        if not all(number in sources for number in numbers):
            return match.group(0)
        refs = []
        for number in numbers:
            if number not in labels:
                labels[number] = len(footnotes) + 1
                footnotes.append(f"[^{labels[number]}]: {_source_line(sources[number])}")
            refs.append(f"[^{labels[number]}]")
        return "".join(refs)

    return CITATION_MARKER.sub(replace, message.text.strip())


def _source_line(source: dict[str, Any]) -> str:
    """A footnote's text: the document's title, its page and heading when known."""
    parts = [_one_line(str(source.get("title") or gettext("Untitled document")))]
    if source.get("page"):
        parts.append(gettext("p. %(page)s") % {"page": source["page"]})
    if source.get("heading"):
        parts.append(_one_line(str(source["heading"])))
    return ", ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())
