"""Login rate limiting: N failures per username and address within a window lock both out.

Counted in the database, so every web process sees the same count. The clock is
``django.utils.timezone.now`` (tests move it instead of waiting).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from webapp.config.settings import get_settings
from webapp.sso.models import LoginFailure

__all__ = ["login_failure_record", "login_failures_clear", "login_is_locked"]

USERNAME_LENGTH = 150


def _key(username: str, address: str) -> tuple[str, str]:
    return username.strip().lower()[:USERNAME_LENGTH], address[:64]


def _recent(username: str, address: str) -> int:
    settings = get_settings()
    since = timezone.now() - timedelta(seconds=settings.login_lockout_s)
    user, addr = _key(username, address)
    LoginFailure.objects.filter(created_at__lt=since).delete()
    return LoginFailure.objects.filter(username=user, address=addr, created_at__gte=since).count()


def login_is_locked(*, username: str, address: str) -> bool:
    """Whether this username may not try again from this address for now."""
    return _recent(username, address) >= get_settings().login_max_failures


def login_failure_record(*, username: str, address: str) -> None:
    """Count one failed sign-in."""
    user, addr = _key(username, address)
    LoginFailure.objects.create(username=user, address=addr, created_at=timezone.now())


def login_failures_clear(*, username: str, address: str) -> None:
    """Forget the failures of a username at an address after it signed in."""
    user, addr = _key(username, address)
    LoginFailure.objects.filter(username=user, address=addr).delete()
