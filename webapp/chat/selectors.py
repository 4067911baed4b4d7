"""Reads of conversations, only ever the user's own, as the user may read them now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext, gettext_noop

from webapp.chat.models import Conversation, Feedback, Message, ModelDefault
from webapp.chat.sources import message_document_ids, unavailable_source
from webapp.core.compiled import CompiledRead
from webapp.core.engines import get_chat_router
from webapp.core.errors import NotFoundError
from webapp.knowledge.selectors import document_list_visible_to

TIER_LABELS = {"small": "Fast (small model)", "large": "Thorough (large model)"}
SEARCH_LIMIT = 50
SNIPPET_BEFORE, SNIPPET_AFTER = 60, 120


def conversation_list_for(
    *, user: Any, channels: Iterable[str] | None = None
) -> QuerySet[Conversation]:
    """The user's conversations, most recent first; only those of ``channels`` when given."""
    conversations = Conversation.objects.filter(user=user)
    if channels is not None:
        conversations = conversations.filter(channel__in=list(channels))
    return conversations


def access_conversation(*, user: Any, conversation_id: int) -> Conversation:
    """The user's conversation; NotFoundError for anyone else's (existence not revealed)."""
    try:
        return conversation_list_for(user=user).get(id=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise NotFoundError(gettext_noop("Conversation not found.")) from None


def messages_as_readable_by(*, user: Any, messages: Iterable[Message]) -> list[Message]:
    """``messages`` as ``user`` may see them now: what they can no longer read is withheld.

    Stored citations are snapshots of passages, and what a user may read changes
    (removed from a group, a document restricted to other groups). So at every
    read, an answer that drew on a document the user cannot read now loses its
    text (an extractive answer quotes its passages; a model's may paraphrase
    them) and that document's citations keep only their number. The rows are not
    changed: reading is restored when access is. The web conversation page, its
    citation panel, the REST API's conversation endpoints, the conversation search
    and the Markdown export all read through here.
    """
    messages = list(messages)
    drew_on = {m.id: message_document_ids(m) for m in messages}
    wanted = set().union(*drew_on.values()) if drew_on else set()
    readable = set(
        document_list_visible_to(user=user).filter(id__in=wanted).values_list("id", flat=True)
    )
    for message in messages:
        hidden = drew_on[message.id] - readable
        if hidden:
            _withhold(message, hidden)
    return messages


def _withhold(message: Message, document_ids: set[int]) -> None:
    """Blank, in memory only, what ``message`` took from ``document_ids``."""
    label = gettext("No longer available to you")
    message.citations = [
        unavailable_source(c["number"], label) if c.get("document_id") in document_ids else c
        for c in message.citations
    ]
    message.text = gettext(
        "This answer drew on a document you can no longer read, so it is not shown."
    )
    message.support = []
    message.rewritten_query = ""


def conversation_messages_for(*, user: Any, conversation: Conversation) -> list[Message]:
    """The conversation's messages, oldest first, as ``user`` may see them now."""
    return messages_as_readable_by(user=user, messages=conversation.messages.all())


@dataclass(frozen=True)
class ConversationHit:
    """A conversation found by a search, with where the words occur in its messages."""

    conversation: Conversation
    # Text around the first match in a message ("" when only the title matched).
    snippet: str = ""


def conversation_search_for(
    *, user: Any, query: str, limit: int = SEARCH_LIMIT
) -> list[ConversationHit]:
    """The user's conversations whose title or messages contain ``query``, most recent first.

    Case-insensitive (on SQLite, for ASCII letters only: its LIKE folds no others).
    Messages are matched as the user may read them now, so an answer withheld
    because it drew on a document they can no longer read is never found by its text.
    """
    words = " ".join(query.split())
    if not words:
        return []
    mentioned = Message.objects.filter(conversation=OuterRef("pk"), text__icontains=words)
    found = list(
        conversation_list_for(user=user).filter(Q(title__icontains=words) | Exists(mentioned))[
            :limit
        ]
    )
    matches = Message.objects.filter(
        conversation__in=[c.id for c in found], text__icontains=words
    ).order_by("id")
    snippets: dict[int, str] = {}
    for message in messages_as_readable_by(user=user, messages=matches):
        if message.conversation_id not in snippets:
            snippet = _snippet(message.text, words)
            if snippet:
                snippets[message.conversation_id] = snippet
    folded = words.lower()
    return [
        ConversationHit(conversation=c, snippet=snippets.get(c.id, ""))
        for c in found
        if c.id in snippets or folded in c.title.lower()
    ]


def _snippet(text: str, words: str) -> str:
    """The text around the first occurrence of ``words`` ("" when it does not occur)."""
    flat = " ".join(text.split())
    at = flat.lower().find(words.lower())
    if at < 0:
        return ""
    start, end = max(0, at - SNIPPET_BEFORE), at + len(words) + SNIPPET_AFTER
    prefix = "…" if start else ""
    suffix = "…" if end < len(flat) else ""
    return prefix + flat[start:end] + suffix


def feedback_by_message(*, user: Any, message_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The user's own feedback on these answers: ``{message_id: {helpful, comment}}``."""
    rows = Feedback.objects.filter(user=user, message_id__in=message_ids)
    return {f.message_id: {"helpful": f.helpful, "comment": f.comment} for f in rows}


def model_choices() -> list[tuple[str, str]]:
    """(value, label) of each model and tier a user or a collection may default to.

    Empty when only one model answers (nothing to choose).
    """
    described = get_chat_router().describe()
    if len(described) < 2:
        return []
    tiers = sorted({m["tier"] for m in described if m["tier"] in TIER_LABELS})
    choices = [(tier, TIER_LABELS[tier]) for tier in tiers]
    for model in described:
        label = model["name"]
        if model["description"]:
            label = f"{label} — {model['description']}"
        choices.append((model["name"], label))
    return choices


@dataclass(frozen=True)
class ModelDefaults:
    """The defaults a question may meet: the user's, and each collection's."""

    user: str = ""
    # collection id -> (model, collection name)
    collections: dict[int, tuple[str, str]] = field(default_factory=dict)


# Read before every question (compiled once per database: webapp/core/compiled.py).
_MODEL_DEFAULTS = CompiledRead(
    lambda user_id: ModelDefault.objects.filter(
        Q(user_id=user_id) | Q(collection__isnull=False)
    ).values_list("collection_id", "model", "collection__name")
)


def model_defaults_for(*, user: Any) -> ModelDefaults:
    """The user's default and every collection's, in one query (one row per default set)."""
    user_default, collections = "", {}
    for collection_id, model, name in _MODEL_DEFAULTS.rows(user.pk):
        if collection_id is None:
            user_default = model
        else:
            collections[collection_id] = (model, name)
    return ModelDefaults(user=user_default, collections=collections)


def user_model_default(*, user: Any) -> str:
    """The user's default model or tier; "" for automatic."""
    return ModelDefault.objects.filter(user=user).values_list("model", flat=True).first() or ""


def collection_model_default(*, collection_id: int) -> str:
    """The collection's default model or tier; "" for automatic."""
    found = ModelDefault.objects.filter(collection_id=collection_id).values_list("model", flat=True)
    return found.first() or ""
