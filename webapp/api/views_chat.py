"""REST views for questions, conversations and feedback."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.models import ApiScope
from webapp.api import serializers as s
from webapp.api.answers import answer_collect
from webapp.api.streaming import event_stream_response
from webapp.api.views_knowledge import validated, visible_collection_ids
from webapp.chat.models import Channel
from webapp.chat.selectors import (
    access_conversation,
    conversation_list_for,
    conversation_messages_for,
)
from webapp.chat.services import conversation_ask, feedback_give, last_turn_remove

__all__ = ["AskView", "ConversationDetailView", "ConversationListView", "FeedbackView"]

SSE_DESCRIPTION = (
    "With stream=true: server-sent events `sources` {conversation_id, sources (by rank)}, "
    "`delta` {text} (repeated), then `done` {conversation_id, message_id, text, citations, "
    "sources (numbered as the text cites them), grounded, abstained, notice, sentences, ...} "
    "or `error` {code, message}. Show `done.text`: it may add citations to uncited sentences."
)
ASK_RESPONSES = {
    (200, "application/json"): s.AskResponseSerializer,
    (200, "text/event-stream"): OpenApiResponse(
        s.ServerSentEventSerializer, description=SSE_DESCRIPTION
    ),
}


# `enclave ask` sends it when it asks a running server, so its conversations count as the
# terminal's (a label for the sidebar and the audit log, not a permission).
CHANNEL_HEADER = "X-Enclave-Channel"


def _answer(request: Request, data: dict[str, Any], conversation_id: int | None) -> Any:
    """Ask as the token's user; a JSON body, or an SSE stream when asked to."""
    terminal = request.headers.get(CHANNEL_HEADER, "").strip().lower() == Channel.CLI
    collection_ids = visible_collection_ids(request.user, data.get("collection_ids"))
    if conversation_id is not None:
        # Checked before any stream starts, so a foreign id is a plain 404.
        access_conversation(user=request.user, conversation_id=conversation_id)
        if data.get("replace") is not None:
            last_turn_remove(
                user=request.user, conversation_id=conversation_id, answer_id=data["replace"]
            )
    events = conversation_ask(
        user=request.user,
        question=data["question"],
        conversation_id=conversation_id,
        collection_ids=collection_ids,
        channel=Channel.CLI if terminal else Channel.API,
        replaces=data.get("replace"),
    )
    if data["stream"]:
        return event_stream_response(events)
    return Response(answer_collect(events))


class AskView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(
        operation_id="ask",
        request=s.AskNewRequestSerializer,
        responses=ASK_RESPONSES,
        description="Answer a question with numbered citations. " + SSE_DESCRIPTION,
    )
    def post(self, request: Request) -> Any:
        """Answer a question from the documents the token's user may read."""
        data = validated(s.AskNewRequestSerializer, request.data)
        return _answer(request, data, data.get("conversation_id"))


class ConversationListView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(
        operation_id="conversations_list",
        parameters=[s.PageQuerySerializer],
        responses=s.ConversationPageSerializer,
    )
    def get(self, request: Request) -> Response:
        """The token's user's conversations, most recent first."""
        query = validated(s.PageQuerySerializer, request.query_params)
        conversations = conversation_list_for(user=request.user)
        return Response(s.page_body(conversations, query, s.ConversationSerializer))


class ConversationDetailView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(operation_id="conversations_get", responses=s.ConversationDetailSerializer)
    def get(self, request: Request, conversation_id: int) -> Response:
        """One conversation with its messages and their citations, as you may read them now.

        An answer that drew on a document you can no longer read (or one that was
        deleted) shows a notice instead of its text; such citations keep their
        number, with ``document_id`` null and no text.
        """
        conversation = access_conversation(user=request.user, conversation_id=conversation_id)
        messages = conversation_messages_for(user=request.user, conversation=conversation)
        fields = ("id", "title", "created_at", "updated_at")
        body = {name: getattr(conversation, name) for name in fields}
        return Response(s.ConversationDetailSerializer({**body, "messages": messages}).data)

    @extend_schema(
        operation_id="conversations_continue",
        request=s.AskContinueRequestSerializer,
        responses=ASK_RESPONSES,
    )
    def post(self, request: Request, conversation_id: int) -> Any:
        """Ask a follow-up question in this conversation (earlier turns give context).

        With ``replace`` (the last answer's id), the last question and its answer are
        replaced: regenerate (the same question) or edit (a new one).
        """
        data = validated(s.AskContinueRequestSerializer, request.data)
        return _answer(request, data, conversation_id)


class FeedbackView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(
        operation_id="messages_feedback",
        request=s.FeedbackRequestSerializer,
        responses=s.FeedbackSerializer,
    )
    def put(self, request: Request, message_id: int) -> Response:
        """Thumbs up or down (with an optional comment) on one of the user's answers."""
        data = validated(s.FeedbackRequestSerializer, request.data)
        feedback = feedback_give(
            user=request.user,
            message_id=message_id,
            helpful=data["helpful"],
            comment=data["comment"],
        )
        return Response(s.FeedbackSerializer(feedback).data)
