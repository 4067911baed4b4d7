"""Conversations and feedback: start, rename, delete, thumbs up or down (web UI and API)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_noop

from webapp.chat.models import Channel, Conversation, Feedback, Message
from webapp.chat.selectors import access_conversation
from webapp.core.errors import NotFoundError, ValidationError

__all__ = [
    "FEEDBACK_COMMENT_LENGTH",
    "TITLE_LENGTH",
    "conversation_delete",
    "conversation_rename",
    "conversation_start",
    "feedback_give",
    "last_turn_remove",
]

logger = logging.getLogger(__name__)

TITLE_LENGTH = 80
FEEDBACK_COMMENT_LENGTH = 2000


def conversation_start(*, user: Any, title: str = "", channel: str = Channel.WEB) -> Conversation:
    """A new, empty conversation, started in ``channel`` (web, api, v1, cli, mcp)."""
    if channel not in Channel.values:
        raise ValidationError(f"Unknown channel {channel!r}.")
    return Conversation.objects.create(
        user=user, title=title[:TITLE_LENGTH] or "New conversation", channel=channel
    )


def conversation_rename(*, user: Any, conversation_id: int, title: str) -> Conversation:
    """Give one of the user's conversations a new title; NotFoundError for anyone else's."""
    conversation = access_conversation(user=user, conversation_id=conversation_id)
    title = " ".join(title.split())
    if not title:
        raise ValidationError(gettext_noop("A conversation needs a title."))
    conversation.title = title[:TITLE_LENGTH]
    conversation.save(update_fields=["title", "updated_at"])
    return conversation


def conversation_delete(*, user: Any, conversation_id: int) -> None:
    """Delete one of the user's conversations with its messages and their feedback."""
    conversation = access_conversation(user=user, conversation_id=conversation_id)
    conversation.delete()
    logger.info("conversation %s deleted by user %s", conversation_id, user.pk)


def last_turn_remove(*, user: Any, conversation_id: int, answer_id: int) -> str:
    """Delete the last question of a conversation and what follows it; its text.

    ``answer_id`` names the answer the user saw last: it must be the conversation's
    last message (else ValidationError, so a stale page never removes a newer turn).
    Regenerating and editing a question ask again after this: the old answer and its
    feedback are deleted (the audit log keeps the earlier ask event).
    """
    conversation = access_conversation(user=user, conversation_id=conversation_id)
    answer = conversation.messages.filter(id=answer_id, role=Message.Role.ASSISTANT).first()
    if answer is None:
        raise NotFoundError(gettext_noop("Answer not found."))
    if conversation.messages.filter(id__gt=answer.id).exists():
        raise ValidationError(
            gettext_noop("Only the last answer of a conversation can be replaced.")
        )
    question = (
        conversation.messages.filter(role=Message.Role.USER, id__lt=answer.id)
        .order_by("-id")
        .first()
    )
    if question is None:
        raise NotFoundError(gettext_noop("Question not found."))
    conversation.messages.filter(id__gte=question.id).delete()
    logger.info("conversation %s: last turn removed to ask again", conversation.id)
    return question.text


def feedback_give(*, user: Any, message_id: int, helpful: bool, comment: str = "") -> Feedback:
    """Thumbs up or down (and an optional comment) on an answer in the user's own conversation.

    Giving feedback again replaces the user's earlier feedback on that answer.
    """
    message = Message.objects.filter(
        id=message_id, role=Message.Role.ASSISTANT, conversation__user=user
    ).first()
    if message is None:
        raise NotFoundError(gettext_noop("Answer not found."))
    comment = comment.strip()
    if len(comment) > FEEDBACK_COMMENT_LENGTH:
        raise ValidationError(
            gettext_noop("Comments are limited to %(max)s characters."),
            params={"max": FEEDBACK_COMMENT_LENGTH},
        )
    feedback, _created = Feedback.objects.update_or_create(
        message=message, user=user, defaults={"helpful": helpful, "comment": comment}
    )
    return feedback
