"""Reads of the audit log (admins only), with the documents each answer exposed."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from webapp.audit.models import AuditEvent
from webapp.core.permissions import user_is_admin
from webapp.knowledge.models import Document

__all__ = ["audit_event_list_for", "audit_kinds_in_use", "document_titles"]


def audit_event_list_for(*, actor: Any, kind: str = "", username: str = "") -> QuerySet[AuditEvent]:
    """Events newest first, filtered by kind and user name; nothing for non-admins."""
    if not user_is_admin(actor):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.order_by("-created_at", "-id")
    if kind:
        events = events.filter(kind=kind)
    if username.strip():
        events = events.filter(actor_name__iexact=username.strip())
    return events


def audit_kinds_in_use() -> list[str]:
    """Every kind that occurs in the log, sorted."""
    # order_by("kind") replaces the model's default ordering, whose columns would
    # otherwise join the SELECT DISTINCT and make every event a distinct row.
    return list(AuditEvent.objects.order_by("kind").values_list("kind", flat=True).distinct())


def document_titles(document_ids: set[int]) -> dict[int, str]:
    """Titles of the documents that still exist (deleted ones are shown by id)."""
    return dict(Document.objects.filter(id__in=document_ids).values_list("id", "title"))
