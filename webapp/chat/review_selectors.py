"""Reads for the console's Feedback page: the answers an admin looks at to fix documents.

Three kinds of answer to review, read from what each stored answer records:

- ``thumbs_down``: an employee found it not helpful (``Feedback.helpful`` false),
  with their comment;
- ``abstained``: no passage was relevant, the answer said it is not in the user's
  documents (``Message.abstained``);
- ``weak``: an answer that cites no passage (``grounded`` false) or has sentences
  no passage supports (``sentences_unsupported`` > 0), failed answers aside.

An admin sees every collection's answers: the admin rule has no per-collection
admins (``webapp/core/permissions.py``), and staff read every passage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from webapp.chat.models import Feedback, Message
from webapp.core.permissions import user_is_admin
from webapp.knowledge.models import Collection, Document

__all__ = [
    "REVIEW_KINDS",
    "CitedDocument",
    "ReviewRow",
    "answer_review_list",
    "review_rows",
]

REVIEW_KINDS = ("thumbs_down", "abstained", "weak")
EXCERPT_CHARS = 300

# An answer that was produced (no error, some text) but is backed weakly or not at all.
_WEAK = (
    Q(abstained=False, error_code="")
    & ~Q(text="")
    & (Q(grounded=False) | Q(sentences_unsupported__gt=0))
)
_KIND_FILTERS = {
    "thumbs_down": Q(thumbs_down=True),
    "abstained": Q(abstained=True),
    "weak": _WEAK,
}


def answer_review_list(*, actor: Any, kind: str = "") -> QuerySet[Message]:
    """Answers to review, newest first, of one kind or all three; nothing for non-admins.

    Each row is annotated with ``question`` (the question it answers), ``asker``
    (user name), ``thumbs_down``, ``comment`` and ``feedback_at`` (the thumbs down's).
    """
    if not user_is_admin(actor):
        return Message.objects.none()
    down = Feedback.objects.filter(message=OuterRef("pk"), helpful=False)
    # The question is the conversation's last user message stored before the answer.
    question = Message.objects.filter(
        conversation=OuterRef("conversation"), role=Message.Role.USER, id__lt=OuterRef("id")
    ).order_by("-id")
    answers = Message.objects.filter(role=Message.Role.ASSISTANT).annotate(
        thumbs_down=Exists(down),
        comment=Subquery(down.values("comment")[:1]),
        feedback_at=Subquery(down.values("created_at")[:1]),
        question=Subquery(question.values("text")[:1]),
        asker=F("conversation__user__username"),
    )
    wanted = _KIND_FILTERS.get(kind)
    if wanted is None:
        wanted = Q(thumbs_down=True) | Q(abstained=True) | _WEAK
    return answers.filter(wanted).order_by("-created_at", "-id")


@dataclass(frozen=True)
class CitedDocument:
    """A document an answer cites, by its current title (the stored one once deleted)."""

    document_id: int | None
    title: str
    page: int | None
    collection_id: int | None
    collection_name: str


@dataclass(frozen=True)
class ReviewRow:
    """One answer as the Feedback page shows it."""

    message_id: int
    created_at: datetime
    asker: str
    question: str
    excerpt: str
    kinds: tuple[str, ...]
    comment: str
    feedback_at: datetime | None
    cited: tuple[CitedDocument, ...]


def review_rows(messages: Iterable[Message]) -> list[ReviewRow]:
    """Rows for ``answer_review_list``'s messages: kinds, excerpt, cited documents (2 queries)."""
    messages = list(messages)
    citations = [c for m in messages for c in (m.citations or []) if isinstance(c, dict)]
    document_ids = {c["document_id"] for c in citations if isinstance(c.get("document_id"), int)}
    documents = {
        d["id"]: d
        for d in Document.objects.filter(id__in=document_ids).values("id", "title", "collection_id")
    }
    collection_ids = {c.get("collection_id") for c in citations} | {
        d["collection_id"] for d in documents.values()
    }
    names = dict(
        Collection.objects.filter(id__in=[i for i in collection_ids if isinstance(i, int)])
        .order_by()
        .values_list("id", "name")
    )
    return [_row(m, documents, names) for m in messages]


def _row(message: Message, documents: dict[int, dict], names: dict[int, str]) -> ReviewRow:
    return ReviewRow(
        message_id=message.id,
        created_at=message.created_at,
        asker=getattr(message, "asker", "") or "",
        question=getattr(message, "question", "") or "",
        excerpt=_excerpt(message.text),
        kinds=_kinds(message),
        comment=getattr(message, "comment", "") or "",
        feedback_at=getattr(message, "feedback_at", None),
        cited=tuple(_cited(message, documents, names)),
    )


def _kinds(message: Message) -> tuple[str, ...]:
    weak = (
        not message.abstained
        and not message.error_code
        and bool(message.text)
        and (not message.grounded or message.sentences_unsupported > 0)
    )
    flags = (getattr(message, "thumbs_down", False), message.abstained, weak)
    return tuple(kind for kind, flag in zip(REVIEW_KINDS, flags, strict=True) if flag)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS].rstrip() + "…"


def _cited(
    message: Message, documents: dict[int, dict], names: dict[int, str]
) -> Iterable[CitedDocument]:
    """Each cited document once, in citation order."""
    seen: set[Any] = set()
    for citation in message.citations or []:
        if not isinstance(citation, dict):
            continue
        document_id = citation.get("document_id")
        key = document_id if document_id is not None else ("n", citation.get("number"))
        if key in seen:
            continue
        seen.add(key)
        current = documents.get(document_id) if isinstance(document_id, int) else None
        collection_id = current["collection_id"] if current else citation.get("collection_id")
        yield CitedDocument(
            document_id=document_id if current else None,
            title=current["title"] if current else str(citation.get("title") or ""),
            page=citation.get("page"),
            collection_id=collection_id if collection_id in names else None,
            collection_name=names.get(collection_id, ""),
        )
