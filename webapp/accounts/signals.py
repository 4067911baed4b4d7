"""Deactivating a user revokes their API tokens, whichever way the account was deactivated.

Without this, reactivating the account would bring every old token back to
life. The console and Django's admin both deactivate by saving the user model,
so the rule sits on that save (a queryset ``update()`` bypasses it; Enclave
does not deactivate that way).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import pre_save
from django.utils import timezone

from webapp.accounts.models import ApiToken
from webapp.accounts.passwords import password_change_pending
from webapp.audit.services import audit_record
from webapp.core.permissions import SYSTEM

__all__ = ["PASSWORD_CHANGE_SESSION_KEY", "TOKENS_REVOKED", "connect_signals"]

TOKENS_REVOKED = "token.revoke_all"  # audit kind (a plain string: no migration of the choices)
# Set at sign-in when the password must be changed first (read by webapp.web.password_gate).
PASSWORD_CHANGE_SESSION_KEY = "enclave_password_change_required"


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


def _mark_session_of_pending_change(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Looked up once per sign-in, so the gate costs no query on every request.
    if request is not None and hasattr(request, "session") and password_change_pending(user):
        request.session[PASSWORD_CHANGE_SESSION_KEY] = True


def connect_signals() -> None:
    """Connect the receivers above (from the app's ``ready``)."""
    pre_save.connect(
        _revoke_tokens_of_deactivated,
        sender=get_user_model(),
        dispatch_uid="enclave-revoke-tokens-of-deactivated",
    )
    user_logged_in.connect(
        _mark_session_of_pending_change, dispatch_uid="enclave-password-change-at-sign-in"
    )
