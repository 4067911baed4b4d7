"""Deactivating a user revokes their API tokens, whichever way the account was deactivated.

Without this, reactivating the account would bring every old token back to
life. The console and Django's admin both deactivate by saving the user model,
so the rule sits on that save (a queryset ``update()`` bypasses it; Enclave
does not deactivate that way).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.utils import timezone

from webapp.accounts.models import ApiToken
from webapp.audit.services import audit_record
from webapp.core.permissions import SYSTEM

__all__ = ["TOKENS_REVOKED", "connect_signals"]

TOKENS_REVOKED = "token.revoke_all"  # audit kind (a plain string: no migration of the choices)


def _revoke_tokens_of_deactivated(
    sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance.pk is None or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    if not sender.objects.filter(pk=instance.pk, is_active=True).exists():
        return  # was inactive already
    revoked = ApiToken.objects.filter(user_id=instance.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            kind=TOKENS_REVOKED,
            actor=SYSTEM,
            detail={"user_id": instance.pk, "tokens": revoked, "why": "deactivated"},
        )


def connect_signals() -> None:
    """Connect the receivers above (from the app's ``ready``)."""
    pre_save.connect(
        _revoke_tokens_of_deactivated,
        sender=get_user_model(),
        dispatch_uid="enclave-revoke-tokens-of-deactivated",
    )
