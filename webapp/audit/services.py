"""Writing audit events."""

from __future__ import annotations

from typing import Any

from webapp.audit.models import AuditEvent


def audit_record(*, kind: str, actor: Any | None, detail: dict[str, Any]) -> AuditEvent:
    """Append one audit event (actor may be None for system actions)."""
    name = getattr(actor, "username", "") if actor is not None else "system"
    return AuditEvent.objects.create(kind=kind, actor=actor, actor_name=name, detail=detail)
