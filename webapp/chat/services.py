"""The chat app's services, one module per job (this module only gathers them).

- ``chat/ask.py``: answering a question (retrieval, relevance gate, streamed answer);
- ``chat/recording.py``: storing the question and the answer once it streams;
- ``chat/model_defaults.py``: which model answers (user and collection defaults);
- ``chat/conversations.py``: renaming and deleting conversations, feedback.
"""

from __future__ import annotations

from webapp.chat.ask import conversation_ask, search_passages
from webapp.chat.conversations import (
    conversation_delete,
    conversation_rename,
    conversation_start,
    feedback_give,
    last_turn_remove,
)
from webapp.chat.events import passage_as_source
from webapp.chat.model_defaults import collection_model_default_set, user_model_default_set
from webapp.chat.recording import PREPARING

__all__ = [
    "PREPARING",
    "collection_model_default_set",
    "conversation_ask",
    "conversation_delete",
    "conversation_rename",
    "conversation_start",
    "feedback_give",
    "last_turn_remove",
    "passage_as_source",
    "search_passages",
    "user_model_default_set",
]
