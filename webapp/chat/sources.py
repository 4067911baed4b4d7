"""Which documents a stored answer drew on, and the shape of a citation that is gone.

An assistant message keeps ``retrieval`` (number, document id, chunk, score of
every passage the answer was given) and ``citations`` (the cited passages, with
their text). Reads (``selectors``) and erasure (``erasure``) both ask the same
question of them: which documents did this answer use?
"""

from __future__ import annotations

from typing import Any

from webapp.chat.models import Message

__all__ = ["message_document_ids", "unavailable_source"]


def message_document_ids(message: Message) -> set[int]:
    """Ids of the documents whose passages ``message`` was given or cites."""
    ids = set()
    for entry in [*(message.retrieval or []), *(message.citations or [])]:
        document_id = entry.get("document_id") if isinstance(entry, dict) else None
        if isinstance(document_id, int):
            ids.add(document_id)
    return ids


def unavailable_source(number: int, label: str) -> dict[str, Any]:
    """A citation that keeps its number and says why it shows nothing (``label``)."""
    return {
        "number": number,
        "document_id": None,
        "collection_id": None,
        "chunk_index": None,
        "title": label,
        "page": None,
        "heading": "",
        "text": "",
        "score": 0.0,
    }
