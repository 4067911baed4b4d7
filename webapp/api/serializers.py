"""Shapes of the REST API's requests and responses (validation and the OpenAPI schema).

JSON fields are strict: a number where a string belongs, or a string where a
number belongs, is a 400, not silently converted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from webapp.accounts.models import ApiScope
from webapp.knowledge.models import Collection, Document, DocumentStatus

MAX_ID = 2**63 - 1
MAX_QUESTION_CHARS = 4000
MAX_IDS = 100


class StrictCharField(serializers.CharField):
    """A string, and only a string."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not a bool, float or string)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def id_field(**kwargs: Any) -> StrictIntegerField:
    """A database id in a JSON body."""
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def id_list_field(**kwargs: Any) -> serializers.ListField:
    """A list of database ids in a JSON body."""
    return serializers.ListField(child=id_field(), max_length=MAX_IDS, **kwargs)


class StrictSerializer(serializers.Serializer):
    """A request body whose unknown fields are a 400 instead of being dropped silently.

    A misspelt or made-up field (``expires_in_days``) would otherwise leave its
    caller believing it took effect.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class ServerSentEventSerializer(serializers.Serializer):
    """One event of a ``text/event-stream`` answer; ``data`` is JSON (or ``[DONE]``)."""

    event = serializers.CharField(required=False)
    data = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error: a stable code and a readable message."""

    code = serializers.CharField()
    message = serializers.CharField()


# --- collections ---------------------------------------------------------------


class CollectionSerializer(serializers.ModelSerializer):
    """A collection the token's user may read."""

    groups = serializers.SerializerMethodField()
    document_count = serializers.IntegerField(read_only=True)
    indexed_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Collection
        fields = [
            "id",
            "name",
            "description",
            "groups",
            "document_count",
            "indexed_count",
            "failed_count",
            "created_at",
        ]

    def get_groups(self, collection: Collection) -> list[str]:
        return sorted(g.name for g in collection.allowed_groups.all())


class CollectionCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    description = StrictCharField(max_length=2000, allow_blank=True, required=False, default="")
    groups = serializers.ListField(
        child=StrictCharField(max_length=150), max_length=MAX_IDS, required=False, default=list
    )


class CollectionRenameSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)


class CollectionDeletedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    documents_deleted = serializers.IntegerField()


class CollectionGroupsSerializer(serializers.Serializer):
    groups = serializers.ListField(child=StrictCharField(max_length=150), max_length=MAX_IDS)


# --- documents -----------------------------------------------------------------


class DocumentSerializer(serializers.ModelSerializer):
    """A document with its ingestion status and progress."""

    progress_percent = serializers.IntegerField(read_only=True)
    collection_name = serializers.CharField(source="collection.name", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "collection_id",
            "collection_name",
            "title",
            "filename",
            "source",
            "mime_type",
            "size_bytes",
            "sha256",
            "status",
            "progress_done",
            "progress_total",
            "progress_percent",
            "chunk_count",
            "vectors_reused_from",
            "error_code",
            "error_message",
            "version",
            "created_at",
            "updated_at",
            "indexed_at",
        ]


class DocumentListQuerySerializer(serializers.Serializer):
    collection_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    status = serializers.ChoiceField(choices=DocumentStatus.choices, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False, default=0)


class DocumentPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DocumentSerializer(many=True)


class DocumentTextSerializer(serializers.Serializer):
    """A document given as text in JSON (Markdown or plain text)."""

    filename = StrictCharField(
        max_length=255, help_text="e.g. policy.md; the suffix picks the parser"
    )
    text = StrictCharField(trim_whitespace=False)
    title = StrictCharField(max_length=500, required=False)


class DocumentUploadSerializer(serializers.Serializer):
    """A document uploaded as a multipart file."""

    file = serializers.FileField()
    title = serializers.CharField(max_length=500, required=False)


class DocumentCreatedSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False when the same file was already there.")
    document = DocumentSerializer()


# --- search and answers --------------------------------------------------------


class SourceSerializer(serializers.Serializer):
    """A numbered passage: what an answer's [n] refers to."""

    number = serializers.IntegerField()
    # Null in a stored answer when the document was deleted or is no longer readable.
    document_id = serializers.IntegerField(allow_null=True)
    collection_id = serializers.IntegerField(allow_null=True)
    chunk_index = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    heading = serializers.CharField(allow_blank=True)
    text = serializers.CharField()
    score = serializers.FloatField()


class NoticeSerializer(serializers.Serializer):
    """Shown beside an answer, never in it: e.g. that it quotes the passages."""

    code = serializers.ChoiceField(choices=["extractive", "model_unavailable"])
    message = serializers.CharField(help_text="In the question's language.")


class SentenceCountsSerializer(serializers.Serializer):
    """How the answer's sentences are backed by the passages."""

    cited = serializers.IntegerField(help_text="Cited by the model, and supported.")
    attributed = serializers.IntegerField(help_text="Uncited or cited wrongly; Enclave cited it.")
    unsupported = serializers.IntegerField(help_text="No passage supports it.")


class SearchRequestSerializer(serializers.Serializer):
    query = StrictCharField(max_length=MAX_QUESTION_CHARS)
    collection_ids = id_list_field(required=False)
    limit = StrictIntegerField(min_value=1, max_value=50, required=False)


class SearchResponseSerializer(serializers.Serializer):
    passages = SourceSerializer(many=True)


class AskRequestSerializer(serializers.Serializer):
    question = StrictCharField(max_length=MAX_QUESTION_CHARS)
    collection_ids = id_list_field(required=False)
    stream = StrictBooleanField(
        required=False, default=False, help_text="Answer as server-sent events."
    )


class AskNewRequestSerializer(AskRequestSerializer):
    conversation_id = id_field(required=False, allow_null=True)


class AskContinueRequestSerializer(AskRequestSerializer):
    replace = id_field(
        required=False,
        allow_null=True,
        help_text="Regenerate or edit: the id of the conversation's last answer. It and its "
        "question are deleted, then this question is asked in their place.",
    )


class AskResponseSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    answer = serializers.CharField(allow_blank=True)
    citations = SourceSerializer(
        many=True, help_text="The sources the answer cites as [n], numbered by first use."
    )
    sources = SourceSerializer(
        many=True, help_text="Every passage the answer was given: the cited ones first."
    )
    grounded = serializers.BooleanField()
    abstained = serializers.BooleanField(help_text="Nothing relevant was found: not answered.")
    notice = NoticeSerializer(allow_null=True)
    sentences = SentenceCountsSerializer()
    model = serializers.CharField(allow_blank=True)
    backend = serializers.CharField(allow_blank=True)
    rewritten_query = serializers.CharField(
        allow_blank=True,
        help_text="The standalone question a follow-up was rewritten into for the search "
        "(empty when the question stood alone).",
    )
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()


# --- conversations and feedback ------------------------------------------------


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    citations = SourceSerializer(many=True)
    model = serializers.CharField(allow_blank=True)
    backend = serializers.CharField(allow_blank=True)
    grounded = serializers.BooleanField()
    abstained = serializers.BooleanField()
    notice = serializers.CharField(
        allow_blank=True, help_text="extractive, model_unavailable or ''."
    )
    sentences_cited = serializers.IntegerField()
    sentences_attributed = serializers.IntegerField()
    sentences_unsupported = serializers.IntegerField()
    error_code = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True)


class FeedbackRequestSerializer(serializers.Serializer):
    helpful = StrictBooleanField()
    comment = StrictCharField(max_length=2000, allow_blank=True, required=False, default="")


class FeedbackSerializer(serializers.Serializer):
    message_id = serializers.IntegerField()
    helpful = serializers.BooleanField()
    comment = serializers.CharField(allow_blank=True)


class PageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, default=50)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False, default=0)


class ConversationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = ConversationSerializer(many=True)


# --- API tokens ----------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    """A token as listed: never its secret."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The token's first characters, to recognise it.")
    user = serializers.CharField(source="user.username")
    scopes = serializers.ListField(child=serializers.CharField())
    rate_limit_per_minute = serializers.IntegerField()
    active = serializers.BooleanField(source="is_active")
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class TokenCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiScope.choices),
        allow_empty=False,
        max_length=len(ApiScope.values),
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    rate_limit_per_minute = StrictIntegerField(min_value=1, max_value=1_000_000, required=False)
    user = StrictCharField(
        max_length=150,
        required=False,
        help_text="Admins: create the token for this user (e.g. a service account).",
    )


class TokenCreatedSerializer(serializers.Serializer):
    token = TokenSerializer()
    secret = serializers.CharField(help_text="Shown once; only its hash is stored.")


def page_body(
    items: Any, query: dict[str, Any], serializer: type[serializers.Serializer]
) -> dict[str, Any]:
    """One page of a queryset as ``{count, results}`` (``offset`` and ``limit`` from the query)."""
    page = items[query["offset"] : query["offset"] + query["limit"]]
    return {"count": items.count(), "results": serializer(page, many=True).data}
