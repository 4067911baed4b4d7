"""Storing a local password, the "must change it" mark, and the first admin's password file.

Shared by the console's changes (``user_services``) and the terminal's
(``services.user_upsert``). Setting a password changes the hash that every
session of the user was signed with, so Django signs those sessions out at
their next request; the caller keeps the current session when it should.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError

from webapp.accounts.models import PasswordChangeRequired
from webapp.config.settings import get_settings
from webapp.core.errors import ValidationError

__all__ = [
    "FIRST_ADMIN_PASSWORD_FILE",
    "first_admin_password_path",
    "password_change_pending",
    "password_require_change",
    "password_store",
    "password_validate",
]

# Written by `enclave serve` when it generated the first admin's password (mode 0600).
FIRST_ADMIN_PASSWORD_FILE = "first-admin-password"


def first_admin_password_path() -> Path:
    """Where the generated first admin password is kept until the admin changes it."""
    return get_settings().home_dir / FIRST_ADMIN_PASSWORD_FILE


def password_validate(password: str, *, user: Any) -> None:
    """The site's password validators; their messages (in the active language) as one error."""
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages)) from None


def password_change_pending(user: Any) -> bool:
    """True when the user must choose a new password before using the web UI."""
    return PasswordChangeRequired.objects.filter(user_id=user.pk).exists()


def password_require_change(*, user: Any, reason: str) -> None:
    """Mark the user: their next web sign-in leads to the password change first."""
    PasswordChangeRequired.objects.update_or_create(user=user, defaults={"reason": reason})


def password_store(*, user: Any, password: str, must_change: str | None = None) -> None:
    """Set the password (validated by the caller) and the mark; forget a generated one.

    A generated first-admin password that is replaced leaves the disk: its file
    would otherwise keep a password that no longer works, or one that still does.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    was = PasswordChangeRequired.objects.filter(user_id=user.pk).first()
    if was is not None and was.reason == PasswordChangeRequired.Reason.GENERATED:
        first_admin_password_path().unlink(missing_ok=True)
    if must_change:
        password_require_change(user=user, reason=must_change)
    elif was is not None:
        was.delete()
