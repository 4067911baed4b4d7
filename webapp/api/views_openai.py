"""OpenAI-compatible endpoints: ``/v1/models`` and ``/v1/chat/completions``.

Models are Enclave assistants: ``enclave`` answers from every collection the
token's user may read, ``enclave:<collection name>`` from that one. Enclave
answers the last user message; the user and assistant messages before it are the
conversation, which rewrites a follow-up into a standalone question for the
search as Enclave's own chat does (the extra ``conversation_id`` continues a
stored Enclave conversation instead, whose turns then give the context). System,
developer and tool messages and sampling options are ignored: Enclave builds its
own grounded prompt.
Citations in the content are numbered [1], [2], ... by first use; the extra
``enclave`` field carries the sources numbered the same way and the answer's
metadata (``abstained``, ``notice``, ``sentences``), never mixed into the content.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.models import ApiScope
from webapp.api import serializers_openai as so
from webapp.api.answers import (
    ASSISTANT_MODEL,
    answer_done,
    assistant_model_ids,
    openai_chunks,
    openai_completion,
)
from webapp.api.serializers import ServerSentEventSerializer
from webapp.api.streaming import openai_stream_response
from webapp.api.views_knowledge import validated
from webapp.chat.models import Channel
from webapp.chat.selectors import access_conversation
from webapp.chat.services import conversation_ask
from webapp.core.errors import NotFoundError
from webapp.knowledge.selectors import collection_list_visible_to

__all__ = ["ChatCompletionsView", "ModelDetailView", "ModelListView"]

OWNER = "enclave"


def _model_row(model_id: str, created: int) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": OWNER}


def _models(user: Any) -> dict[str, int]:
    """Assistant model ids the user may use, with a creation time."""
    collections = collection_list_visible_to(user=user).order_by("name")
    rows = list(collections.values_list("name", "created_at"))
    first = min((int(c.timestamp()) for _, c in rows), default=0)
    ids = assistant_model_ids([name for name, _ in rows])
    return dict(zip(ids, [first, *(int(c.timestamp()) for _, c in rows)], strict=True))


def resolve_model(user: Any, model: str) -> list[int] | None:
    """Collection ids an assistant model answers from (None = all readable); 404 if unknown."""
    if model == ASSISTANT_MODEL:
        return None
    prefix = f"{ASSISTANT_MODEL}:"
    if model.startswith(prefix):
        found = collection_list_visible_to(user=user).filter(name=model[len(prefix) :]).first()
        if found is not None:
            return [found.id]
    raise NotFoundError(f"The model {model!r} does not exist or is not available to you.")


class ModelListView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(operation_id="openai_models_list", responses=so.ModelListSerializer)
    def get(self, request: Request) -> Response:
        """Assistants the token's user may ask (OpenAI ``models.list``)."""
        rows = [_model_row(m, created) for m, created in _models(request.user).items()]
        return Response({"object": "list", "data": rows})


class ModelDetailView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(operation_id="openai_models_get", responses=so.ModelSerializer)
    def get(self, request: Request, model: str) -> Response:
        """One assistant (OpenAI ``models.retrieve``)."""
        models = _models(request.user)
        if model not in models:
            raise NotFoundError(f"The model {model!r} does not exist or is not available to you.")
        return Response(_model_row(model, models[model]))


class ChatCompletionsView(APIView):
    required_scope = ApiScope.ASK

    @extend_schema(
        operation_id="openai_chat_completions",
        request=so.ChatCompletionRequestSerializer,
        responses={
            (200, "application/json"): so.ChatCompletionSerializer,
            (200, "text/event-stream"): OpenApiResponse(
                ServerSentEventSerializer, description=so.STREAM_DESCRIPTION
            ),
        },
        description=__doc__,
    )
    def post(self, request: Request) -> Any:
        """Answer the last user message in its context, with citations (``chat.completions``)."""
        data = validated(so.ChatCompletionRequestSerializer, request.data)
        collection_ids = resolve_model(request.user, data["model"])
        conversation_id = data.get("conversation_id")
        if conversation_id is not None:
            access_conversation(user=request.user, conversation_id=conversation_id)
        question, history = so.question_and_history(data["messages"])
        events = conversation_ask(
            user=request.user,
            question=question,
            conversation_id=conversation_id,
            collection_ids=collection_ids,
            history=history,
            channel=Channel.V1,
        )
        if data["stream"]:
            options = data.get("stream_options") or {}
            chunks = openai_chunks(
                events, model=data["model"], include_usage=bool(options.get("include_usage"))
            )
            return openai_stream_response(chunks)
        return Response(openai_completion(done=answer_done(events), model=data["model"]))
