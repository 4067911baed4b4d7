"""Shapes of the OpenAI-compatible endpoints (the subset Enclave honours, plus ``enclave``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inference import ChatTurn
from webapp.api.serializers import (
    MAX_QUESTION_CHARS,
    NoticeSerializer,
    SentenceCountsSerializer,
    SourceSerializer,
    StrictBooleanField,
    StrictCharField,
    id_field,
)

MAX_MESSAGES = 200
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
# The roles whose text is conversation; system, developer, tool and function
# messages are never given to the model (Enclave's own system prompt leads).
CONVERSATION_ROLES = ("user", "assistant")


def question_and_history(messages: list[dict[str, Any]]) -> tuple[str, list[ChatTurn]]:
    """The last user message and the user/assistant turns before it, oldest first."""
    last = max(i for i, m in enumerate(messages) if m["role"] == "user")
    history = [
        ChatTurn(role=m["role"], text=m["content"])
        for m in messages[:last]
        if m["role"] in CONVERSATION_ROLES and m["content"].strip()
    ]
    return messages[last]["content"], history


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        "nullable": True,
    }
)
class MessageContentField(serializers.Field):
    """A message's content: a string, or a list of ``{"type": "text", "text": ...}`` parts."""

    default_error_messages = {
        "invalid": "content must be a string or a list of text parts.",
        "too_long": f"content is limited to {MAX_QUESTION_CHARS * 4} characters.",
    }

    def to_internal_value(self, data: Any) -> str:
        if data is None:
            return ""
        if isinstance(data, list):
            parts = []
            for part in data:
                if not (
                    isinstance(part, dict)
                    and part.get("type") == "text"
                    and isinstance(part.get("text"), str)
                ):
                    self.fail("invalid")
                parts.append(part["text"])
            data = "\n".join(parts)
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        if len(data) > MAX_QUESTION_CHARS * 4:
            self.fail("too_long")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class ChatMessageSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES)
    content = MessageContentField(required=False, allow_null=True)


class StreamOptionsSerializer(serializers.Serializer):
    include_usage = StrictBooleanField(required=False, default=False)


class ChatCompletionRequestSerializer(serializers.Serializer):
    """The fields Enclave reads; other OpenAI fields (temperature, ...) are accepted and ignored."""

    model = StrictCharField(max_length=300, help_text="enclave, or enclave:<collection name>")
    messages = ChatMessageSerializer(many=True, allow_empty=False, max_length=MAX_MESSAGES)
    stream = StrictBooleanField(required=False, default=False)
    stream_options = StreamOptionsSerializer(required=False, allow_null=True)
    n = serializers.IntegerField(min_value=1, max_value=1, required=False)
    conversation_id = id_field(
        required=False,
        allow_null=True,
        help_text="Enclave extra: continue this stored conversation; its turns give the "
        "context instead of the earlier messages.",
    )

    def validate_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for message in messages:
            message["content"] = message.get("content") or ""
        if not any(m["role"] == "user" and m["content"].strip() for m in messages):
            raise serializers.ValidationError("At least one user message with text is needed.")
        last_user = [m for m in messages if m["role"] == "user"][-1]
        if len(last_user["content"]) > MAX_QUESTION_CHARS:
            raise serializers.ValidationError(
                f"The question is limited to {MAX_QUESTION_CHARS} characters."
            )
        return messages


class EnclaveExtraSerializer(serializers.Serializer):
    """The ``enclave`` field: what each [n] in the answer refers to."""

    conversation_id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    citations = SourceSerializer(many=True)
    sources = SourceSerializer(many=True)
    grounded = serializers.BooleanField()
    abstained = serializers.BooleanField(help_text="Nothing relevant was found: not answered.")
    notice = NoticeSerializer(allow_null=True)
    sentences = SentenceCountsSerializer()
    backend = serializers.CharField()
    rewritten_query = serializers.CharField(
        allow_blank=True,
        help_text="The standalone question a follow-up was rewritten into for the search "
        "(empty when the question stood alone).",
    )
    content = serializers.CharField(
        required=False,
        help_text="Streams only: the final text, which `sources` numbers (it may add "
        "citations Enclave attributed to sentences the model left uncited).",
    )


class AssistantMessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    content = serializers.CharField(allow_blank=True)


class ChoiceSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    message = AssistantMessageSerializer()
    finish_reason = serializers.CharField()
    logprobs = serializers.JSONField(allow_null=True)


class UsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class ChatCompletionSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    created = serializers.IntegerField()
    model = serializers.CharField()
    choices = ChoiceSerializer(many=True)
    usage = UsageSerializer()
    enclave = EnclaveExtraSerializer()


class ModelSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    created = serializers.IntegerField()
    owned_by = serializers.CharField()


class ModelListSerializer(serializers.Serializer):
    object = serializers.CharField()
    data = ModelSerializer(many=True)


STREAM_DESCRIPTION = (
    "With stream=true: `data: {chat.completion.chunk}` lines, then `data: [DONE]`. "
    "The chunk with finish_reason `stop` carries the `enclave` field, with the final text "
    "in `enclave.content`."
)
