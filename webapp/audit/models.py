"""Append-only record of questions asked, documents shown and admin actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing that happened; never updated or deleted by the application."""

    class Kind(models.TextChoices):
        ASK = "ask", "Question answered"
        DOCUMENT_UPLOAD = "document.upload", "Document uploaded"
        DOCUMENT_DELETE = "document.delete", "Document deleted"
        DOCUMENT_DOWNLOAD = "document.download", "Document downloaded"
        COLLECTION_CREATE = "collection.create", "Collection created"
        COLLECTION_GROUPS = "collection.groups", "Collection groups changed"

    kind = models.CharField(max_length=40, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
