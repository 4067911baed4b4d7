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
from contextlib import closing
from typing import Any

from django.db import close_old_connections, transaction

from inference import (
    Answer,
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    ModelRouter,
    Rewrite,
    Route,
    SourcePassage,
    answer_stream,
    rewrite_question,
)
from inference.errors import InferenceError, UnknownModelError
from retrieval import Passage
from retrieval.errors import RetrievalError
from webapp.audit.models import AuditEvent
from webapp.audit.services import audit_record
from webapp.chat.grounding import embedding_similarity, relevant_passages
from webapp.chat.models import Conversation, Message, ModelDefault
from webapp.chat.preparing import Preparation, Preparing
from webapp.chat.selectors import (
    ModelDefaults,
    access_conversation,
    messages_as_readable_by,
    model_defaults_for,
)
from webapp.config.settings import get_settings
from webapp.core.engines import get_chat_router, get_embedder, get_searcher
from webapp.core.errors import NotFoundError, ValidationError
from webapp.core.permissions import require_admin
from webapp.knowledge.selectors import search_scope_for

logger = logging.getLogger(__name__)

HISTORY_TURNS = 6
TITLE_LENGTH = 80
# Records of streaming answers yield to questions being prepared (webapp/chat/preparing.py).
PREPARING = Preparing(max_wait_s=0.5)


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


def _history(conversation: Conversation, user: Any) -> list[ChatTurn]:
    recent = list(conversation.messages.order_by("-created_at", "-id")[:HISTORY_TURNS])
    # What the user may no longer read must not reach a follow-up through the history.
    shown = messages_as_readable_by(user=user, messages=reversed(recent))
    return [ChatTurn(role=m.role, text=m.text) for m in shown if m.text]


def search_passages(
    *, user: Any, query: str, collection_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[Passage]:
    """Passages the user may read, best first; the group filter runs inside the vector store."""
    scope = search_scope_for(user=user, collection_ids=collection_ids)
    if not scope.group_ids:
        return []
    return get_searcher().search(
        query,
        allowed_group_ids=scope.group_ids,
        collection_ids=scope.collection_ids,
        limit=limit or get_settings().search_limit,
    )


def _open_conversation(*, user: Any, question: str, conversation_id: int | None) -> Conversation:
    if conversation_id is None:
        return conversation_start(user=user, title=question)
    return access_conversation(user=user, conversation_id=conversation_id)


def _rewrite(question: str, history: list[ChatTurn], router: ModelRouter) -> Rewrite:
    """The standalone query for retrieval (the model rewrites follow-ups when configured)."""
    started = time.perf_counter()
    rewrite = rewrite_question(question, history, model=router.rewriter)
    if rewrite.method != "none":
        logger.info(
            "follow-up rewritten: method=%s ms=%.1f",
            rewrite.method,
            (time.perf_counter() - started) * 1000,
        )
    return rewrite


# --- which model answers ----------------------------------------------------------

COLLECTION_MODEL = "collection.model"  # audit kind (a plain string: no migration of the choices)


def _checked_model(model: str) -> str:
    """``model`` stripped and known to the catalogue ("" stays "": no default)."""
    model = model.strip()
    if model:
        try:
            get_chat_router().resolve(model)
        except UnknownModelError as exc:
            raise ValidationError(str(exc)) from None
    return model


def user_model_default_set(*, user: Any, model: str) -> None:
    """The model (name or tier) answering this user's questions; "" goes back to automatic."""
    model = _checked_model(model)
    if model:
        ModelDefault.objects.update_or_create(user=user, defaults={"model": model})
    else:
        ModelDefault.objects.filter(user=user).delete()


def collection_model_default_set(*, collection: Any, model: str, actor: Any) -> None:
    """The model answering questions about ``collection`` (admins); "" goes back to automatic."""
    require_admin(actor)
    model = _checked_model(model)
    if model:
        ModelDefault.objects.update_or_create(collection=collection, defaults={"model": model})
    else:
        ModelDefault.objects.filter(collection=collection).delete()
    audit_record(
        kind=COLLECTION_MODEL,
        actor=actor,
        detail={"collection_id": collection.id, "model": model or "automatic"},
    )


def _collection_default(
    collection_ids: Sequence[int] | None,
    passages: Sequence[Passage],
    defaults: dict[int, tuple[str, str]],
) -> tuple[str, str]:
    """(model, collection name) when the asked collections, else the best passage's, have one.

    ``defaults``: collection id -> (model, collection name), as ``model_defaults_for`` reads them.
    """
    ids = list(collection_ids or [])
    if not ids and passages:
        ids = [passages[0].collection_id]
    found = {defaults[i] for i in ids if i in defaults}
    models = {model for model, _name in found}
    if not ids or len(models) != 1 or len(found) != len(ids):
        return "", ""
    model, name = sorted(found)[0]
    return model, name


def _route(router: ModelRouter, question: str, model: str, why: str) -> Route:
    """Route to a stored default; one the catalogue no longer has falls back to automatic."""
    if not model:
        return router.route(question=question)
    try:
        return router.route(question=question, requested=model, why=why)
    except UnknownModelError:
        logger.warning("%s %r is not in the catalogue any more; routing by question", why, model)
        return router.route(question=question)


class _PendingQuestion:
    """The user's message, stored once: after the answer's first delta has left.

    Not before retrieval: the write then stays off the time to the first token (it
    overlaps the model's next tokens instead), and it waits while other questions
    are being prepared (``PREPARING``, at most 0.5 s). It is stored earlier when a reply is
    recorded first (a failed answer) and, through ``conversation_ask``'s ``finally``,
    when the answer ends before any delta (an error, a reader who left).
    """

    def __init__(self, conversation: Conversation, text: str) -> None:
        self.conversation = conversation
        self.text = text
        self.stored = False

    def store(self) -> None:
        """Write the message unless it is written already."""
        if not self.stored:
            self.stored = True
            Message.objects.create(
                conversation=self.conversation, role=Message.Role.USER, text=self.text
            )


def _numbered(sources: list[dict[str, Any]]) -> list[SourcePassage]:
    return [
        SourcePassage(
            number=s["number"],
            text=s["text"],
            title=s["title"],
            page=s["page"],
            heading=s["heading"],
        )
        for s in sources
    ]


def _answer(
    route: Route,
    *,
    question: str,
    passages: list[SourcePassage],
    history: list[ChatTurn],
    result: list[Answer],
    pending: _PendingQuestion,
) -> Iterator[dict[str, Any]]:
    """Delta events of the answer; the finished Answer is appended to ``result``.

    The question is stored right after the first delta has been handed on.
    """
    settings = get_settings()
    similarity = embedding_similarity(get_embedder()) if settings.answer_support_check else None
    stream = answer_stream(
        route.model,
        question=question,
        passages=passages,
        history=history,
        fallbacks=route.fallbacks,
        similarity=similarity,
        min_support=settings.answer_support_min_similarity,
    )
    # closing(): a client that goes away closes this generator, which must close the
    # upstream HTTP stream at once so the model server stops generating.
    with closing(stream):
        for event in stream:
            if isinstance(event, AnswerDelta):
                yield {"event": "delta", "text": event.text}
                if not pending.stored:
                    PREPARING.wait()
                    pending.store()
            elif isinstance(event, AnswerDone):
                result.append(event.answer)


def conversation_ask(
    *,
    user: Any,
    question: str,
    conversation_id: int | None = None,
    collection_ids: Sequence[int] | None = None,
    model: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Answer ``question`` for ``user``, yielding sources, text deltas and a final record.

    ``model`` names a model or a tier ("small", "large") of the catalogue; without it
    the router picks by the question. Follow-ups are rewritten into a standalone query
    for retrieval; passages under the relevance floor are not given to the model.
    """
    question = question.strip()
    if not question:
        yield {"event": "error", "code": "invalid", "message": "Please type a question."}
        return
    # Counted until its prompt is ready (or it ends): records meanwhile wait for it.
    with PREPARING.start() as preparation:
        router = get_chat_router()
        # The user's and the collections' defaults in one read; a named model needs neither.
        defaults = ModelDefaults() if model else model_defaults_for(user=user)
        user_default = defaults.user
        try:
            if model:
                route = router.route(question=question, requested=model)
            else:
                route = _route(router, question, user_default, "user default")
            conversation = _open_conversation(
                user=user, question=question, conversation_id=conversation_id
            )
        except NotFoundError as exc:
            yield {"event": "error", **exc.as_dict()}
            return
        except InferenceError as exc:  # an unknown model name
            yield {"event": "error", "code": exc.code, "message": str(exc)}
            return
        # A conversation opened by this question has no history to read.
        history = _history(conversation, user) if conversation_id is not None else []
        pending = _PendingQuestion(conversation, question)
        try:
            yield from _retrieve_and_answer(
                user=user,
                question=question,
                pending=pending,
                history=history,
                route=route,
                router=router,
                pinned=bool(model or user_default),
                collection_defaults=defaults.collections,
                collection_ids=collection_ids,
                preparation=preparation,
            )
        finally:
            pending.store()


def _retrieve_and_answer(
    *,
    user: Any,
    question: str,
    pending: _PendingQuestion,
    history: list[ChatTurn],
    route: Route,
    router: ModelRouter,
    pinned: bool,
    collection_defaults: dict[int, tuple[str, str]],
    collection_ids: Sequence[int] | None,
    preparation: Preparation,
) -> Iterator[dict[str, Any]]:
    """Sources, deltas and the final record of an answer in ``pending.conversation``.

    ``pinned``: the question or the user named the model; no default replaces it.
    ``collection_defaults``: collection id -> (model, collection name).
    """
    conversation = pending.conversation
    rewrite = _rewrite(question, history, router)
    if rewrite.method != "none" and not pinned:
        route = router.route(question=rewrite.query)

    started = time.perf_counter()
    try:
        found = search_passages(user=user, query=rewrite.query, collection_ids=collection_ids)
    except RetrievalError as exc:
        logger.error("search failed: %s", exc.code)
        yield {"event": "error", "code": exc.code, "message": str(exc)}
        return
    retrieval_ms = (time.perf_counter() - started) * 1000
    settings = get_settings()
    passages = relevant_passages(
        found, config=settings.search_config(), min_score=settings.answer_min_score
    )
    if not pinned:
        collection_model, collection_name = _collection_default(
            collection_ids, passages, collection_defaults
        )
        if collection_model:
            route = _route(
                router, rewrite.query, collection_model, f"default of {collection_name!r}"
            )
    sources = [passage_as_source(n, p) for n, p in enumerate(passages, start=1)]
    rewritten = rewrite.query if rewrite.method != "none" else ""
    yield {
        "event": "sources",
        "conversation_id": conversation.id,
        "sources": sources,
        "rewritten_query": rewritten,
    }

    record = {
        "conversation": conversation,
        "role": Message.Role.ASSISTANT,
        "retrieval": [
            {k: s[k] for k in ("number", "document_id", "chunk_index", "score")} for s in sources
        ],
        "retrieval_ms": retrieval_ms,
        "rewritten_query": rewritten,
        "route_reason": route.reason[:200],
    }
    # The extractive backend picks sentences by the question's words: give it the
    # standalone query; a language model gets the question and the history.
    asked = rewrite.query if route.model.backend == "extractive" else question
    result: list[Answer] = []
    preparation.done()  # what is left is the model's (the prompt is built as it is sent)
    shown: list[str] = []  # what the user has read: kept when the model fails mid-answer
    try:
        for delta in _answer(
            route,
            question=asked,
            passages=_numbered(sources),
            history=history,
            result=result,
            pending=pending,
        ):
            shown.append(delta["text"])
            yield delta
    except InferenceError as exc:
        logger.error("answer failed: %s", exc.code)
        pending.store()  # the question before its failed reply
        text = "".join(shown)
        Message.objects.create(**record, text=text, error_code=exc.code, model=route.name)
        yield {"event": "error", "code": exc.code, "message": str(exc)}
        return
    finally:
        close_old_connections()
    PREPARING.wait()
    pending.store()  # (a no-op after the first delta) the question comes before the answer
    yield _finish(user=user, question=question, record=record, sources=sources, answer=result[0])


def _finish(
    *,
    user: Any,
    question: str,
    record: dict[str, Any],
    sources: list[dict[str, Any]],
    answer: Answer,
) -> dict[str, Any]:
    """Store the answer, audit the question, and return the ``done`` event."""
    conversation = record["conversation"]
    cited = [s for s in sources if s["number"] in answer.citations]
    support = [item.as_dict() for item in answer.support]
    # One transaction: the answer, the conversation's time and the audit land together.
    with transaction.atomic():
        message = Message.objects.create(
            **record,
            text=answer.text,
            citations=cited,
            invalid_citations=list(answer.invalid_citations),
            support=support,
            model=answer.model,
            backend=answer.backend,
            grounded=answer.grounded,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            tokens_per_s=answer.tokens_per_s,
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
    return {
        "event": "done",
        "conversation_id": conversation.id,
        "message_id": message.id,
        "text": answer.text,
        "citations": list(answer.citations),
        "invalid_citations": list(answer.invalid_citations),
        "grounded": answer.grounded,
        "model": answer.model,
        "backend": answer.backend,
        "retrieval_ms": round(record["retrieval_ms"], 1),
        "first_token_ms": answer.first_token_ms,
        "total_ms": answer.total_ms,
        "tokens_in": answer.tokens_in,
        "tokens_out": answer.tokens_out,
        "tokens_per_s": answer.tokens_per_s,
        "rewritten_query": record["rewritten_query"],
        "route_reason": record["route_reason"],
        "support": support,
    }


# --- managing conversations and feedback (web UI and API) ----------------------

FEEDBACK_COMMENT_LENGTH = 2000


def conversation_rename(*, user: Any, conversation_id: int, title: str) -> Conversation:
    """Give one of the user's conversations a new title; NotFoundError for anyone else's."""
    conversation = access_conversation(user=user, conversation_id=conversation_id)
    title = " ".join(title.split())
    if not title:
        raise ValidationError("A conversation needs a title.")
    conversation.title = title[:TITLE_LENGTH]
    conversation.save(update_fields=["title", "updated_at"])
    return conversation


def conversation_delete(*, user: Any, conversation_id: int) -> None:
    """Delete one of the user's conversations with its messages and their feedback."""
    conversation = access_conversation(user=user, conversation_id=conversation_id)
    conversation.delete()
    logger.info("conversation %s deleted by user %s", conversation_id, user.pk)


def feedback_give(*, user: Any, message_id: int, helpful: bool, comment: str = "") -> Any:
    """Thumbs up or down (and an optional comment) on an answer in the user's own conversation.

    Giving feedback again replaces the user's earlier feedback on that answer.
    """
    from webapp.chat.models import Feedback  # added with the feedback service

    message = Message.objects.filter(
        id=message_id, role=Message.Role.ASSISTANT, conversation__user=user
    ).first()
    if message is None:
        raise NotFoundError("Answer not found.")
    comment = comment.strip()
    if len(comment) > FEEDBACK_COMMENT_LENGTH:
        raise ValidationError(f"Comments are limited to {FEEDBACK_COMMENT_LENGTH} characters.")
    feedback, _created = Feedback.objects.update_or_create(
        message=message, user=user, defaults={"helpful": helpful, "comment": comment}
    )
    return feedback
