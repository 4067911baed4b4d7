"""Conversations and their messages, with citations and answer figures."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    """Where a conversation was started: web chat, REST API, ``/v1``, ``enclave ask`` or MCP."""

    WEB = "web", "Web chat"
    API = "api", "REST API"
    V1 = "v1", "OpenAI-compatible API"
    CLI = "cli", "Terminal"
    MCP = "mcp", "MCP"


class Conversation(models.Model):
    """A user's thread of questions and answers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, default="New conversation")
    # Conversations from before channels were recorded were all but certainly the web chat's.
    channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.WEB, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    """One turn; assistant turns carry citations and the figures of how they were made."""

    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    citations = models.JSONField(default=list, blank=True)
    retrieval = models.JSONField(default=list, blank=True)
    model = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=40, blank=True)
    grounded = models.BooleanField(default=False)
    error_code = models.CharField(max_length=64, blank=True)
    tokens_in = models.IntegerField(default=0)
    tokens_out = models.IntegerField(default=0)
    retrieval_ms = models.FloatField(null=True, blank=True)
    first_token_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(null=True, blank=True)
    tokens_per_s = models.FloatField(null=True, blank=True)
    # The model's own time on the answer (what a GPU-hour price counts); None: not asked.
    model_ms = models.FloatField(null=True, blank=True)
    # The collection of the best passage: whose questions an answer's cost counts for.
    # No database constraint: a collection deleted while an answer is recorded must not
    # fail the answer (Django still clears the field when the collection is deleted).
    collection = models.ForeignKey(
        "knowledge.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    # The standalone query retrieval used when the question was a follow-up.
    rewritten_query = models.TextField(blank=True)
    # Citations to passages that were not given, removed from ``text``.
    invalid_citations = models.JSONField(default=list, blank=True)
    # Per sentence: {sentence, citations, score, supported, status} (cited/attributed/unsupported).
    support = models.JSONField(default=list, blank=True)
    # Why the router chose ``model``, e.g. "hard: asks to 'compare'".
    route_reason = models.CharField(max_length=200, blank=True)
    # No passage was relevant: the text says the answer is not in the user's documents.
    abstained = models.BooleanField(default=False)
    # Shown beside the answer, never in it: "extractive", "model_unavailable" or "".
    notice = models.CharField(max_length=40, blank=True)
    # Sentences the model cited, those Enclave attributed to a passage, those none supports.
    sentences_cited = models.PositiveIntegerField(default=0)
    sentences_attributed = models.PositiveIntegerField(default=0)
    sentences_unsupported = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Feedback(models.Model):
    """A thumbs up or down on an answer, with an optional comment."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_feedback_per_user")
        ]


class ModelDefault(models.Model):
    """The model that answers a user's questions, or questions about a collection.

    Exactly one of ``user`` and ``collection`` is set. ``model`` is a catalogue name
    or a tier ("small", "large"). A question names its model > the user's default >
    the collection's default > the router's choice by the question.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="model_default",
    )
    collection = models.OneToOneField(
        "knowledge.Collection",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="model_default",
    )
    model = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, collection__isnull=True)
                | models.Q(user__isnull=True, collection__isnull=False),
                name="model_default_user_xor_collection",
            )
        ]

    def __str__(self) -> str:
        owner = self.user or self.collection
        return f"{owner}: {self.model}"
