"""Local users and groups (SSO and LDAP mapping come later)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


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
    if password is not None:
        user.set_password(password)
    user.is_staff = admin
    user.save()
    user.groups.set(group_ensure(names=group_names))
    return generated


def user_get(username: str) -> Any | None:
    """An active user by username."""
    return get_user_model().objects.filter(username=username, is_active=True).first()
