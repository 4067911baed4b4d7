"""Answering a question: permission-filtered retrieval, then a streamed, cited answer.

``conversation_ask`` yields plain JSON-ready events; the SSE view, the CLI and
the API each translate them to their medium:
``{"event": "sources", ...}``, ``{"event": "delta", "text"}``,
``{"event": "done", ...}`` or ``{"event": "error", "code", "message"}``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import close_old_connections

from inference import AnswerDelta, AnswerDone, ChatTurn, SourcePassage, answer_stream
from inference.errors import InferenceError
from retrieval import Passage
from retrieval.errors import RetrievalError
from webapp.audit.models import AuditEvent
from webapp.audit.services import audit_record
from webapp.chat.models import Conversation, Message
from webapp.chat.selectors import access_conversation
from webapp.config.settings import get_settings
from webapp.core.engines import get_chat_model, get_searcher
from webapp.core.errors import NotFoundError
from webapp.core.permissions import user_allowed_group_ids

logger = logging.getLogger(__name__)

HISTORY_TURNS = 6
TITLE_LENGTH = 80


def passage_as_source(number: int, passage: Passage) -> dict[str, Any]:
    """A retrieved passage as the numbered source shown with an answer."""
    return {
        "number": number,
        "document_id": passage.document_id,
        "collection_id": passage.collection_id,
        "chunk_index": passage.chunk_index,
        "title": passage.title,
        "page": passage.page,
        "heading": passage.heading,
        "text": passage.text,
        "score": round(float(passage.score), 4),
    }


def conversation_start(*, user: Any, title: str = "") -> Conversation:
    """A new, empty conversation."""
    return Conversation.objects.create(user=user, title=title[:TITLE_LENGTH] or "New conversation")


def _history(conversation: Conversation) -> list[ChatTurn]:
    recent = list(conversation.messages.order_by("-created_at", "-id")[:HISTORY_TURNS])
    return [ChatTurn(role=m.role, text=m.text) for m in reversed(recent) if m.text]


def search_passages(
    *, user: Any, query: str, collection_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[Passage]:
    """Passages the user may read, best first; the group filter runs inside the vector store."""
    allowed = user_allowed_group_ids(user)
    if not allowed:
        return []
    return get_searcher().search(
        query,
        allowed_group_ids=allowed,
        collection_ids=list(collection_ids) if collection_ids else None,
        limit=limit or get_settings().search_limit,
    )


def conversation_ask(
    *,
    user: Any,
    question: str,
    conversation_id: int | None = None,
    collection_ids: Sequence[int] | None = None,
) -> Iterator[dict[str, Any]]:
    """Answer ``question`` for ``user``, yielding sources, text deltas and a final record."""
    question = question.strip()
    if not question:
        yield {"event": "error", "code": "invalid", "message": "Please type a question."}
        return
    if conversation_id is None:
        conversation = conversation_start(user=user, title=question)
    else:
        try:
            conversation = access_conversation(user=user, conversation_id=conversation_id)
        except NotFoundError as exc:
            yield {"event": "error", **exc.as_dict()}
            return
    history = _history(conversation)
    Message.objects.create(conversation=conversation, role=Message.Role.USER, text=question)

    started = time.perf_counter()
    try:
        passages = search_passages(user=user, query=question, collection_ids=collection_ids)
    except RetrievalError as exc:
        logger.error("search failed: %s", exc.code)
        yield {"event": "error", "code": exc.code, "message": str(exc)}
        return
    retrieval_ms = (time.perf_counter() - started) * 1000
    sources = [passage_as_source(n, p) for n, p in enumerate(passages, start=1)]
    yield {"event": "sources", "conversation_id": conversation.id, "sources": sources}

    model = get_chat_model()
    numbered = [
        SourcePassage(
            number=s["number"],
            text=s["text"],
            title=s["title"],
            page=s["page"],
            heading=s["heading"],
        )
        for s in sources
    ]
    answer = None
    try:
        for event in answer_stream(model, question=question, passages=numbered, history=history):
            if isinstance(event, AnswerDelta):
                yield {"event": "delta", "text": event.text}
            elif isinstance(event, AnswerDone):
                answer = event.answer
    except InferenceError as exc:
        logger.error("answer failed: %s", exc.code)
        Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            text="",
            error_code=exc.code,
            retrieval=sources,
            retrieval_ms=retrieval_ms,
        )
        yield {"event": "error", "code": exc.code, "message": str(exc)}
        return
    finally:
        close_old_connections()
    assert answer is not None
    cited = [s for s in sources if s["number"] in answer.citations]
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text=answer.text,
        citations=cited,
        retrieval=[
            {k: s[k] for k in ("number", "document_id", "chunk_index", "score")} for s in sources
        ],
        model=answer.model,
        backend=answer.backend,
        grounded=answer.grounded,
        tokens_in=answer.tokens_in,
        tokens_out=answer.tokens_out,
        retrieval_ms=retrieval_ms,
        first_token_ms=answer.first_token_ms,
        total_ms=answer.total_ms,
    )
    conversation.save(update_fields=["updated_at"])
    audit_record(
        kind=AuditEvent.Kind.ASK,
        actor=user,
        detail={
            "conversation_id": conversation.id,
            "message_id": message.id,
            "question": question,
            "document_ids": sorted({s["document_id"] for s in sources}),
            "cited_document_ids": sorted({s["document_id"] for s in cited}),
        },
    )
    yield {
        "event": "done",
        "conversation_id": conversation.id,
        "message_id": message.id,
        "text": answer.text,
        "citations": list(answer.citations),
        "invalid_citations": list(answer.invalid_citations),
        "grounded": answer.grounded,
        "model": answer.model,
        "backend": answer.backend,
        "retrieval_ms": round(retrieval_ms, 1),
        "first_token_ms": answer.first_token_ms,
        "total_ms": answer.total_ms,
    }
