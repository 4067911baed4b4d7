"""The chat page and the streamed answer endpoint (SSE over an async view)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_noop
from django.views.decorators.http import require_GET, require_POST

from webapp.chat.events import AnswerEvent, DoneEvent
from webapp.chat.models import Channel, Conversation, Message
from webapp.chat.selectors import (
    access_conversation,
    conversation_list_for,
    conversation_messages_for,
    feedback_by_message,
    model_choices,
    user_model_default,
)
from webapp.chat.services import conversation_ask, last_turn_remove, user_model_default_set
from webapp.chat.sse import sse_stream
from webapp.core.errors import EnclaveError, ValidationError
from webapp.knowledge.selectors import collection_list_visible_to
from webapp.web.citations import answer_segments
from webapp.web.http import json_error, json_object, or_404
from webapp.web.passage_marks import sources_with_marks

SIDEBAR_CONVERSATIONS = 50
MAX_QUESTION_CHARS = 4000
MAX_MODEL_CHARS = 200
# What the passage panel needs of a stored citation; the rest stays on the server.
SOURCE_FIELDS = ("number", "document_id", "title", "page", "heading", "text", "marks")


@dataclass(frozen=True)
class AskRequest:
    """The JSON body of ``/chat/ask``, validated."""

    question: str
    conversation_id: int | None
    collection_ids: list[int]
    # A model name or tier; "" lets the user's default or the router choose.
    model: str = ""
    # Regenerate or edit: the id of the conversation's last answer, replaced with its question.
    replace: int | None = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_ask(body: bytes) -> AskRequest:
    """Validate ``{question, conversation_id|null, collection_ids|[], model|"", replace|null}``."""
    data = json_object(body)
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValidationError(gettext_noop("Please type a question."))
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError(
            gettext_noop("Questions are limited to %(max)s characters."),
            params={"max": MAX_QUESTION_CHARS},
        )
    conversation_id = data.get("conversation_id")
    if conversation_id is not None and not _is_int(conversation_id):
        raise ValidationError("conversation_id must be an integer or null.")
    collection_ids = data.get("collection_ids") or []
    if not isinstance(collection_ids, list) or not all(_is_int(i) for i in collection_ids):
        raise ValidationError("collection_ids must be a list of integers.")
    replace = data.get("replace")
    if replace is not None and (not _is_int(replace) or conversation_id is None):
        raise ValidationError("replace must be an answer id, with its conversation_id.")
    return AskRequest(
        question=question,
        conversation_id=conversation_id,
        collection_ids=collection_ids,
        model=_model_field(data),
        replace=replace,
    )


def _model_field(data: dict[str, Any]) -> str:
    model = data.get("model") or ""
    if not isinstance(model, str) or len(model) > MAX_MODEL_CHARS:
        raise ValidationError(
            f"model must be a model name of at most {MAX_MODEL_CHARS} characters."
        )
    return model.strip()


def _turn(message: Message) -> dict[str, Any]:
    """A stored message as the template shows it (the notice is labelled, never in the text)."""
    is_assistant = message.role == Message.Role.ASSISTANT
    return {
        "message": message,
        "segments": answer_segments(message.text, message.citations) if is_assistant else [],
    }


def _chat_page(request: HttpRequest, conversation: Conversation | None) -> HttpResponse:
    every_channel = request.GET.get("all") == "1"
    messages = (
        conversation_messages_for(user=request.user, conversation=conversation)
        if conversation is not None
        else []
    )
    sources = {
        str(m.id): [
            {k: s.get(k) for k in SOURCE_FIELDS} for s in sources_with_marks(m.citations, m.support)
        ]
        for m in messages
        if m.citations
    }
    answers = [m for m in messages if m.role == Message.Role.ASSISTANT and m.text]
    context = {
        "nav": "chat",
        "conversation": conversation,
        # API, /v1 and terminal conversations only when asked for (?all=1).
        "conversations": conversation_list_for(
            user=request.user, channels=None if every_channel else [Channel.WEB]
        )[:SIDEBAR_CONVERSATIONS],
        "every_channel": every_channel,
        # Meta.ordering does not apply to the selector's annotated (GROUP BY) query.
        "collections": list(collection_list_visible_to(user=request.user).order_by("name")),
        "turns": [_turn(m) for m in messages],
        "model_choices": model_choices(),
        "model_default": user_model_default(user=request.user),
        "stored_sources": sources,
        # The raw answers, which chat.js renders as Markdown (the HTML above is the no-JS view).
        "stored_answers": {str(m.id): m.text for m in answers},
        "stored_feedback": {
            str(k): v
            for k, v in feedback_by_message(
                user=request.user, message_ids=[m.id for m in answers]
            ).items()
        },
    }
    return render(request, "web/chat.html", context)


@login_required
@require_GET
def chat(request: HttpRequest) -> HttpResponse:
    """A new conversation."""
    return _chat_page(request, conversation=None)


@login_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One of the user's conversations; anyone else's is 404."""
    found = or_404(access_conversation, user=request.user, conversation_id=conversation_id)
    return _chat_page(request, conversation=found)


@require_POST
def chat_ask(request: HttpRequest) -> HttpResponse:
    """Stream the answer to a question as server-sent events (sources, delta..., done | error).

    A sync view on purpose: it runs on the request's thread with the middleware chain,
    where the session and user are already at hand; the answer itself streams from a
    thread of its own through an async body.
    """
    user = request.user
    if not user.is_authenticated:
        return JsonResponse(
            {
                "code": "not_authenticated",
                "message": "Your session has ended. Please sign in again.",
            },
            status=401,
        )
    try:
        ask = parse_ask(request.body)
        if ask.conversation_id is not None:
            # Checked before the stream starts, so a foreign id is a plain 404 response.
            access_conversation(user=user, conversation_id=ask.conversation_id)
        if ask.replace is not None and ask.conversation_id is not None:
            # Regenerate / edit: the question is asked again from scratch (fresh retrieval).
            last_turn_remove(user=user, conversation_id=ask.conversation_id, answer_id=ask.replace)
    except EnclaveError as exc:
        return json_error(exc)
    language = get_language()
    events = conversation_ask(
        user=user,
        question=ask.question,
        conversation_id=ask.conversation_id,
        collection_ids=ask.collection_ids,
        model=ask.model or None,
        language=language,
        channel=Channel.WEB,
        replaces=ask.replace,
    )
    response = StreamingHttpResponse(
        sse_stream(_with_marks(events), language=language), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _with_marks(events: Iterator[AnswerEvent]) -> Iterator[AnswerEvent]:
    """The events, the ``done`` sources carrying the passage sentences to mark."""
    try:
        for event in events:
            if isinstance(event, DoneEvent):
                event = dataclasses.replace(
                    event, sources=sources_with_marks(event.sources, event.support)
                )
            yield event
    finally:
        # A reader who left closes this generator: the answer's own must close at once.
        getattr(events, "close", lambda: None)()


@login_required
@require_POST
def chat_model(request: HttpRequest) -> JsonResponse:
    """``{model}``: the model or tier answering the user from now on ("" for automatic)."""
    try:
        data = json_object(request.body)
        user_model_default_set(user=request.user, model=_model_field(data))
    except EnclaveError as exc:
        return json_error(exc)
    return JsonResponse({"model": user_model_default(user=request.user)})
