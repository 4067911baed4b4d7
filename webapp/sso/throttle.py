"""Login rate limiting: too many failures within a window lock a username out.

Two counts, both in the window: failures of a username at one address
(``ENCLAVE_LOGIN_MAX_FAILURES``, 5) lock that pair; failures of a username from
any address (``ENCLAVE_LOGIN_MAX_FAILURES_PER_ACCOUNT``, 10) lock the account
for everyone, so guesses spread over many addresses (a botnet, or forged
``X-Forwarded-For`` headers) meet a limit too. The price: whoever knows a
username can keep that account locked by guessing on (single sign-on, when
configured, is not throttled here).

Counted in the database, so every web process sees the same count. The clock is
``django.utils.timezone.now`` (tests move it instead of waiting).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from webapp.config.settings import get_settings
from webapp.sso.models import LoginFailure

__all__ = ["login_failure_record", "login_failures_clear", "login_is_locked"]

USERNAME_LENGTH = 150


def _key(username: str, address: str) -> tuple[str, str]:
    return username.strip().lower()[:USERNAME_LENGTH], address[:64]


def login_is_locked(*, username: str, address: str) -> bool:
    """Whether this username may not try again from this address (or at all) for now."""
    settings = get_settings()
    since = timezone.now() - timedelta(seconds=settings.sign_in.login_lockout_s)
    user, addr = _key(username, address)
    LoginFailure.objects.filter(created_at__lt=since).delete()
    counts = LoginFailure.objects.filter(username=user, created_at__gte=since).aggregate(
        account=Count("id"), here=Count("id", filter=Q(address=addr))
    )
    return (
        counts["here"] >= settings.sign_in.login_max_failures
        or counts["account"] >= settings.sign_in.login_max_failures_per_account
    )


def login_failure_record(*, username: str, address: str) -> None:
    """Count one failed sign-in."""
    user, addr = _key(username, address)
    LoginFailure.objects.create(username=user, address=addr, created_at=timezone.now())


def login_failures_clear(*, username: str, address: str) -> None:
    """Forget the failures of a username at an address after it signed in."""
    user, addr = _key(username, address)
    LoginFailure.objects.filter(username=user, address=addr).delete()
