"""Local users and groups as the CLI makes them, and API tokens (create, revoke, authenticate)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext_noop

from webapp.accounts.models import DEFAULT_RATE_LIMIT_PER_MINUTE, ApiScope, ApiToken
from webapp.accounts.passwords import password_store
from webapp.audit.services import audit_record
from webapp.core.errors import NotFoundError, ValidationError
from webapp.core.permissions import actor_user, require_admin

# Audit kinds of token changes (plain strings: the audit app's choices are not ours to migrate).
TOKEN_CREATE = "token.create"
TOKEN_REVOKE = "token.revoke"
LAST_USED_RESOLUTION = timedelta(seconds=60)


def group_ensure(*, names: Iterable[str]) -> list[Group]:
    """Groups by name, created when missing."""
    return [Group.objects.get_or_create(name=name.strip())[0] for name in names if name.strip()]


def user_upsert(
    *, username: str, password: str | None, group_names: Iterable[str], admin: bool
) -> str | None:
    """Create or update a user with exactly these groups; returns a generated password, if any."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    generated = None
    if password is None and created:
        password = generated = secrets.token_urlsafe(12)
    user.is_staff = admin
    user.save()
    if password is not None:  # chosen in the terminal: no change required at sign-in
        password_store(user=user, password=password)
    user.groups.set(group_ensure(names=group_names))
    return generated


def user_get(username: str) -> Any | None:
    """An active user by username."""
    return get_user_model().objects.filter(username=username, is_active=True).first()


# --- API tokens ---------------------------------------------------------------

TOKEN_PREFIX = "enc_"


def token_hash(raw: str) -> str:
    """SHA-256 of a token; tokens are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def token_create(
    *,
    user: Any,
    name: str,
    scopes: Iterable[str],
    actor: Any,
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token acting as ``user``; returns the row and the secret (shown once, never stored).

    Users create tokens for themselves; admins also for other users (service accounts).
    The ``admin`` scope is only for staff users, whose rights it exposes.
    """
    if actor is None or actor.pk != user.pk:  # for someone else: admins (and SYSTEM) only
        require_admin(actor)
    chosen = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in chosen if s not in ApiScope.values]
    if not chosen or unknown:
        raise ValidationError(f"Scopes must be some of {', '.join(ApiScope.values)}.")
    for staff_only in (ApiScope.ADMIN, ApiScope.SCIM):
        if staff_only in chosen and not user.is_staff:
            raise ValidationError(f"The {staff_only} scope is only for staff users.")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("A token needs a name of at most 100 characters.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry must be in the future.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        key_hash=token_hash(raw),
        scopes=chosen,
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute or DEFAULT_RATE_LIMIT_PER_MINUTE,
        created_by=actor_user(actor),
    )
    audit_record(
        kind=TOKEN_CREATE,
        actor=actor,
        detail={"token_id": token.id, "user_id": user.pk, "scopes": chosen},
    )
    return token, raw


def own_token_scopes(user: Any) -> list[str]:
    """Scopes a user may give their own tokens: read and ask; staff every scope."""
    if user.is_staff:
        return list(ApiScope.values)
    return [ApiScope.READ, ApiScope.ASK]


def token_create_own(
    *, user: Any, name: str, scopes: Iterable[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A token a signed-in user makes for themselves (account page); the secret shown once."""
    chosen = {s.strip() for s in scopes if s.strip()}
    if not chosen <= set(own_token_scopes(user)):
        raise ValidationError(gettext_noop("Your tokens may only read and ask."))
    return token_create(user=user, name=name, scopes=chosen, actor=user, expires_at=expires_at)


def token_revoke(*, token: ApiToken, actor: Any) -> None:
    """Revoke a token at once: its next request fails."""
    if actor is None or actor.pk != token.user_id:
        require_admin(actor)
    ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(kind=TOKEN_REVOKE, actor=actor, detail={"token_id": token.id})


def token_authenticate(*, raw: str) -> ApiToken:
    """The active token for ``raw`` (its user loaded); NotFoundError for anything else."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise NotFoundError("Invalid token.")
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_active or not token.user.is_active:
        raise NotFoundError("Invalid token.")
    now = timezone.now()
    # One write per minute per token at most: last-used is a day-level fact, not an access log.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
    return token
