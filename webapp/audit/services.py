"""Writing audit events."""

from __future__ import annotations

from typing import Any

from webapp.audit.models import AuditEvent
from webapp.core.permissions import SYSTEM, actor_user


def audit_record(*, kind: str, actor: Any, detail: dict[str, Any]) -> AuditEvent:
    """Append one audit event; ``SYSTEM`` (the CLI, the worker) is recorded as "system"."""
    name = "system" if actor is None or actor is SYSTEM else getattr(actor, "username", "")
    return AuditEvent.objects.create(
        kind=kind, actor=actor_user(actor), actor_name=name, detail=detail
    )
