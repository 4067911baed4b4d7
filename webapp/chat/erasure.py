"""Erasing a deleted document's text from stored conversations.

An answer keeps snapshots of the passages it cited, and its own text quotes or
paraphrases the passages it was given. When a document is deleted, every
answer that drew on it (``sources.message_document_ids``) loses its text and
its cited sentences, and that document's citations keep only their number,
labelled "Document deleted": no text, and no title either (a title can say as
much as the text: "Redundancy plan Q3"). The question the user typed stays:
it is the user's own words, not the document's. The audit log keeps the
document's id and title (``document.delete``).
"""

from __future__ import annotations

import logging

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from webapp.chat.models import Message
from webapp.chat.sources import message_document_ids, unavailable_source

__all__ = ["DELETED_ANSWER", "DELETED_SOURCE", "messages_erase_document"]

logger = logging.getLogger(__name__)

DELETED_SOURCE = "Document deleted"
DELETED_ANSWER = "This answer drew on a document that has since been deleted; its text was erased."


def messages_erase_document(*, document_id: int) -> int:
    """Erase what stored answers took from ``document_id``; returns how many answers changed."""
    # Candidates by the JSON text, then checked exactly ("document_id": 5 also starts 55).
    needle = f'"document_id": {int(document_id)}'
    candidates = (
        Message.objects.filter(role=Message.Role.ASSISTANT)
        .annotate(given=Cast("retrieval", TextField()), cited=Cast("citations", TextField()))
        .filter(Q(given__contains=needle) | Q(cited__contains=needle))
    )
    changed = 0
    for message in candidates:
        if document_id not in message_document_ids(message):
            continue
        message.citations = [
            unavailable_source(c["number"], DELETED_SOURCE)
            if c.get("document_id") == document_id
            else c
            for c in message.citations
        ]
        # The given passages' ids go too: the answer no longer draws on anything there.
        message.retrieval = [
            {**r, "document_id": None} if r.get("document_id") == document_id else r
            for r in message.retrieval
        ]
        message.text = DELETED_ANSWER
        message.support = []
        message.rewritten_query = ""
        message.save(update_fields=["citations", "retrieval", "text", "support", "rewritten_query"])
        changed += 1
    logger.info("document %s erased from %s stored answers", document_id, changed)
    return changed
