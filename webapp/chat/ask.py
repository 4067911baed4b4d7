"""Answering a question: permission-filtered retrieval, the relevance gate, a streamed answer.

``conversation_ask`` yields the typed events of ``chat/events.py``; the SSE view, the
API and the CLI each translate them to their medium. A question no readable passage
is relevant to gets a "not found in your documents" answer (``abstained``), without
asking a model; when every model server is down, the passages found answer
(quoted, with a notice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections

from inference import (
    Answer,
    AnswerDelta,
    ChatTurn,
    ModelRouter,
    Rewrite,
    Route,
    answer_stream,
    rewrite_question,
)
from inference.errors import InferenceError, UpstreamError
from retrieval import Embedder, Passage, Searcher, relevant_passages
from retrieval.errors import RetrievalError
from webapp.chat.conversations import conversation_start
from webapp.chat.events import (
    AnswerEvent,
    DeltaEvent,
    Source,
    SourcesEvent,
    passage_as_source,
    source_passage,
)
from webapp.chat.grounding import embedding_similarity
from webapp.chat.model_defaults import collection_default, route_to_default
from webapp.chat.models import Channel, Conversation
from webapp.chat.preparing import Preparation
from webapp.chat.recording import PREPARING, AnswerRecord, PendingQuestion
from webapp.chat.selectors import (
    ModelDefaults,
    access_conversation,
    messages_as_readable_by,
    model_defaults_for,
)
from webapp.chat.wording import error_event, language_for
from webapp.config.settings import get_settings
from webapp.core.engines import get_chat_router
from webapp.core.errors import NotFoundError
from webapp.core.metrics import (
    ANSWERS_ABSTAINED,
    FIRST_TOKEN_SECONDS,
    QUESTIONS,
    RETRIEVAL_SECONDS,
    TOKENS_PER_SECOND,
)
from webapp.knowledge.index_engines import get_searcher
from webapp.knowledge.selectors import search_scope_for

__all__ = ["conversation_ask", "search_passages"]

logger = logging.getLogger(__name__)

HISTORY_TURNS = 6


def search_passages(
    *, user: Any, query: str, collection_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[Passage]:
    """Passages the user may read, best first; the group filter runs inside the vector store."""
    return _search(None, user=user, query=query, collection_ids=collection_ids, limit=limit)


def _search(
    searcher: Searcher | None,
    *,
    user: Any,
    query: str,
    collection_ids: Sequence[int] | None,
    limit: int | None = None,
) -> list[Passage]:
    """``search_passages`` with a searcher already looked up (else the active index's)."""
    scope = search_scope_for(user=user, collection_ids=collection_ids)
    if not scope.group_ids:
        return []
    with RETRIEVAL_SECONDS.time():
        return (searcher or get_searcher()).search(
            query,
            allowed_group_ids=scope.group_ids,
            collection_ids=scope.collection_ids,
            limit=limit or get_settings().search.limit,
        )


@dataclass
class _Question:
    """One question on its way to an answer: what every step of it needs."""

    user: Any
    text: str
    language: str
    collection_ids: Sequence[int] | None
    router: ModelRouter
    route: Route
    # The question or the user named the model: no collection default replaces it.
    pinned: bool
    # collection id -> (model, collection name)
    collection_defaults: dict[int, tuple[str, str]]
    history: list[ChatTurn]
    pending: PendingQuestion
    channel: str
    # Regenerate / edit: the id of the answer this one replaces (kept in the audit event).
    replaces: int | None = None

    @property
    def conversation(self) -> Conversation:
        return self.pending.conversation


def conversation_ask(
    *,
    user: Any,
    question: str,
    conversation_id: int | None = None,
    collection_ids: Sequence[int] | None = None,
    model: str | None = None,
    language: str | None = None,
    history: Sequence[ChatTurn] = (),
    channel: str = Channel.WEB,
    replaces: int | None = None,
) -> Iterator[AnswerEvent]:
    """Answer ``question`` for ``user``: sources, text deltas, then done (or error).

    ``model`` names a model or a tier ("small", "large") of the catalogue; without it
    the router picks by the question. ``language`` is the user's interface language
    for notices and errors (default: the question's). The earlier turns are those of
    the conversation ``conversation_id`` names or, for a new one, ``history`` (what
    an API client sent). Follow-ups are rewritten into a standalone query for
    retrieval; passages under the relevance floor are not given to the model.
    ``channel`` (web, api, v1, cli, mcp) is recorded on a new conversation and on the
    question's audit event, as is ``replaces``, the id of the answer this question
    was asked again to replace (regenerate, edit; see ``last_turn_remove``).
    """
    question = question.strip()
    language = language_for(question, language)
    if not question:
        yield error_event("invalid", language)
        return
    QUESTIONS.labels(channel).inc()
    # Counted until its prompt is ready (or it ends): records meanwhile wait for it.
    with PREPARING.start() as preparation:
        try:
            asked = _question_for(
                user, question, language, conversation_id, collection_ids, model, history, channel
            )
        except NotFoundError:
            yield error_event("not_found", language)
            return
        except InferenceError as exc:  # an unknown model name
            logger.info("question refused: %s", exc.code)
            yield error_event(exc.code, language)
            return
        asked.replaces = replaces
        try:
            yield from _retrieve_and_answer(asked, preparation)
        finally:
            asked.pending.store()


def _question_for(
    user: Any,
    question: str,
    language: str,
    conversation_id: int | None,
    collection_ids: Sequence[int] | None,
    model: str | None,
    client_history: Sequence[ChatTurn],
    channel: str,
) -> _Question:
    """The route, the conversation and its history (NotFoundError, UnknownModelError)."""
    router = get_chat_router()
    # The user's and the collections' defaults in one read; a named model needs neither.
    defaults = ModelDefaults() if model else model_defaults_for(user=user)
    if model:
        route = router.route(question=question, requested=model)
    else:
        route = route_to_default(router, question, defaults.user, "user default")
    conversation = _open_conversation(user, question, conversation_id, channel)
    return _Question(
        user=user,
        text=question,
        language=language,
        collection_ids=collection_ids,
        router=router,
        route=route,
        pinned=bool(model or defaults.user),
        collection_defaults=defaults.collections,
        # A conversation opened by this question has no stored history to read.
        history=(
            _history(conversation, user)
            if conversation_id is not None
            else list(client_history)[-HISTORY_TURNS:]
        ),
        pending=PendingQuestion(conversation, question),
        channel=channel,
    )


def _open_conversation(
    user: Any, question: str, conversation_id: int | None, channel: str
) -> Conversation:
    if conversation_id is None:
        return conversation_start(user=user, title=question, channel=channel)
    return access_conversation(user=user, conversation_id=conversation_id)


def _history(conversation: Conversation, user: Any) -> list[ChatTurn]:
    recent = list(conversation.messages.order_by("-created_at", "-id")[:HISTORY_TURNS])
    # What the user may no longer read must not reach a follow-up through the history.
    shown = messages_as_readable_by(user=user, messages=reversed(recent))
    return [ChatTurn(role=m.role, text=m.text) for m in shown if m.text]


def _rewrite(asked: _Question) -> Rewrite:
    """The standalone query for retrieval (the model rewrites follow-ups when configured)."""
    started = time.perf_counter()
    rewrite = rewrite_question(asked.text, asked.history, model=asked.router.rewriter)
    if rewrite.method != "none":
        logger.info(
            "follow-up rewritten: method=%s ms=%.1f",
            rewrite.method,
            (time.perf_counter() - started) * 1000,
        )
        if not asked.pinned:
            asked.route = asked.router.route(question=rewrite.query)
    return rewrite


def _route_by_collection(asked: _Question, query: str, passages: list[Passage]) -> None:
    """The default of the asked collections (else the best passage's), unless pinned."""
    if asked.pinned:
        return
    model, name = collection_default(asked.collection_ids, passages, asked.collection_defaults)
    if model:
        asked.route = route_to_default(asked.router, query, model, f"default of {name!r}")


def _retrieve_and_answer(asked: _Question, preparation: Preparation) -> Iterator[AnswerEvent]:
    """Sources, deltas and the final record of an answer in ``asked.conversation``."""
    rewrite = _rewrite(asked)
    started, cpu_started = time.perf_counter(), time.thread_time()
    try:
        # One look-up of the active index per question: the support check embeds with
        # the searcher's model (another read of the index rows cost every answer CPU).
        searcher = get_searcher()
        found = _search(
            searcher, user=asked.user, query=rewrite.query, collection_ids=asked.collection_ids
        )
    except RetrievalError as exc:
        logger.error("search failed: %s", exc.code)
        yield error_event("search_unavailable", asked.language)
        return
    retrieval_ms = (time.perf_counter() - started) * 1000
    # This thread's CPU only: a query embedded in a batch another request led is not
    # counted here but in the leader's (the sum over requests is the search's cost).
    retrieval_cpu_ms = (time.thread_time() - cpu_started) * 1000
    settings = get_settings()
    passages = relevant_passages(
        found, config=settings.search_config(), min_score=settings.answer.min_score
    )
    _route_by_collection(asked, rewrite.query, passages)
    sources = [passage_as_source(n, p) for n, p in enumerate(passages, start=1)]
    rewritten = rewrite.query if rewrite.method != "none" else ""
    yield SourcesEvent(
        conversation_id=asked.conversation.id, sources=sources, rewritten_query=rewritten
    )
    record = AnswerRecord(
        conversation=asked.conversation,
        sources=sources,
        retrieval_ms=retrieval_ms,
        retrieval_cpu_ms=retrieval_cpu_ms,
        rewritten_query=rewritten,
        route_reason=asked.route.reason,
    )
    preparation.done()  # what is left is the model's (the prompt is built as it is sent)
    shown: list[str] = []  # what the user has read: kept when the model fails mid-answer
    try:
        answer = yield from _answer(asked, rewrite.query, sources, shown, searcher.embedder)
    except InferenceError as exc:
        logger.error("answer failed: %s: %s", exc.code, exc)
        asked.pending.store()  # the question before its failed reply
        record.store_failure(code=exc.code, model=asked.route.name, text="".join(shown))
        yield error_event(exc.code, asked.language)
        return
    finally:
        close_old_connections()
    asked.pending.store()  # (a no-op after the first delta) the question comes before the answer
    _observe(answer, asked.channel)
    yield record.store(
        user=asked.user,
        question=asked.text,
        answer=answer,
        language=asked.language,
        channel=asked.channel,
        replaces=asked.replaces,
    )


def _observe(answer: Answer, channel: str) -> None:
    """The answer's abstention and its model's speed, per replica ("in-process" for local ones)."""
    if answer.abstained:
        ANSWERS_ABSTAINED.labels(channel).inc()
    replica = answer.replica or "in-process"
    if answer.first_token_ms is not None:
        FIRST_TOKEN_SECONDS.labels(answer.model, replica).observe(answer.first_token_ms / 1000)
    if answer.tokens_per_s is not None:
        TOKENS_PER_SECOND.labels(answer.model, replica).observe(answer.tokens_per_s)


def _answer(
    asked: _Question,
    standalone_query: str,
    sources: list[Source],
    shown: list[str],
    embedder: Embedder,
) -> Generator[DeltaEvent, None, Answer]:
    """The answer's deltas (their text also appended to ``shown``); returns the finished
    Answer. The question is stored after the first delta has been handed on."""
    settings = get_settings()
    similarity = embedding_similarity(embedder) if settings.answer.support_check else None
    stream = answer_stream(
        asked.route.model,
        question=asked.text,
        standalone_query=standalone_query,
        passages=[source_passage(s) for s in sources],
        history=asked.history,
        fallbacks=asked.route.fallbacks,
        last_resort=asked.route.last_resort,
        similarity=similarity,
        min_support=settings.answer.support_min_similarity,
    )
    answer: Answer | None = None
    # closing(): a client that goes away closes this generator, which must close the
    # upstream HTTP stream at once so the model server stops generating.
    with closing(stream):
        for event in stream:
            if isinstance(event, AnswerDelta):
                shown.append(event.text)
                yield DeltaEvent(text=event.text)
                asked.pending.store()
            else:
                answer = event.answer
    if answer is None:
        raise UpstreamError("The answer stream ended without a result.")
    return answer
