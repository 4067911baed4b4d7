"""Reads of conversations, only ever the user's own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from webapp.chat.models import Conversation, Feedback
from webapp.core.errors import NotFoundError


def conversation_list_for(*, user: Any) -> QuerySet[Conversation]:
    """The user's conversations, most recent first."""
    return Conversation.objects.filter(user=user)


def access_conversation(*, user: Any, conversation_id: int) -> Conversation:
    """The user's conversation; NotFoundError for anyone else's (existence not revealed)."""
    try:
        return conversation_list_for(user=user).get(id=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise NotFoundError("Conversation not found.") from None


def feedback_by_message(*, user: Any, message_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The user's own feedback on these answers: ``{message_id: {helpful, comment}}``."""
    rows = Feedback.objects.filter(user=user, message_id__in=message_ids)
    return {f.message_id: {"helpful": f.helpful, "comment": f.comment} for f in rows}
