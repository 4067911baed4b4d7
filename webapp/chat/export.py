"""A conversation as a file (Markdown or PDF): each question, its answer, citations as footnotes.

The answers are read as the user may read them now (``conversation_messages_for``):
an answer that drew on a document they can no longer read is exported withheld, as
the chat shows it. Citation markers become numbered footnotes naming the documents;
footnote numbers run through the whole file, since each answer numbers its own
sources from 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from inference.citations import CITATION_MARKER
from webapp.chat.models import Conversation, Message
from webapp.chat.selectors import conversation_messages_for

__all__ = [
    "ExportedConversation",
    "conversation_export_filename",
    "conversation_exported",
    "conversation_markdown",
]

# An answer's footnote reference as the exported text carries it, in either format.
FOOTNOTE_REF = re.compile(r"\[\^(\d+)\]")


@dataclass
class ExportedConversation:
    """What every format writes: title, intro line, turns, footnotes in order of first use."""

    title: str
    intro: str
    # (heading, text): "Question" or "Answer", the answer's refs as "[^n]"
    turns: list[tuple[str, str]] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)  # footnote n is footnotes[n - 1]


def conversation_exported(*, user: Any, conversation: Conversation) -> ExportedConversation:
    """The conversation (one of ``user``'s) as ``user`` may read it now."""
    created = timezone.localtime(conversation.created_at).strftime("%Y-%m-%d %H:%M")
    exported = ExportedConversation(
        title=_one_line(conversation.title),
        intro=gettext("Conversation started on %(date)s, exported from Enclave.")
        % {"date": created},
    )
    for message in conversation_messages_for(user=user, conversation=conversation):
        if message.role == Message.Role.USER:
            exported.turns.append((gettext("Question"), message.text.strip()))
        else:
            exported.turns.append((gettext("Answer"), _answer_text(message, exported.footnotes)))
    return exported


def conversation_markdown(*, user: Any, conversation: Conversation) -> str:
    """The conversation (one of ``user``'s) as Markdown, footnotes at the end."""
    exported = conversation_exported(user=user, conversation=conversation)
    lines = [f"# {exported.title}", "", exported.intro, ""]
    for heading, text in exported.turns:
        lines += [f"## {heading}", "", text, ""]
    if exported.footnotes:
        notes = [f"[^{n}]: {text}" for n, text in enumerate(exported.footnotes, start=1)]
        lines += ["---", "", *notes, ""]
    return "\n".join(lines)


def conversation_export_filename(conversation: Conversation, *, extension: str = "md") -> str:
    """An ASCII file name for the export, from the title."""
    return f"{slugify(conversation.title)[:60] or 'conversation'}.{extension}"


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
                footnotes.append(_source_line(sources[number]))
                labels[number] = len(footnotes)
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
