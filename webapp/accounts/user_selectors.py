"""Reads of users and groups for the admin console."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet

from webapp.core.errors import NotFoundError
from webapp.core.permissions import user_is_admin


def user_list_for_admin(*, actor: Any, query: str = "") -> QuerySet[Any]:
    """Every user with their groups (none for non-admins), by username."""
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    if not user_is_admin(actor):
        return users.none()
    query = query.strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(email__icontains=query)
            | Q(groups__name__icontains=query)
        ).distinct()
    return users


def access_user(*, actor: Any, user_id: int) -> Any:
    """A user an admin may manage; NotFoundError otherwise."""
    try:
        return user_list_for_admin(actor=actor).get(pk=user_id)
    except (get_user_model().DoesNotExist, ValueError, TypeError):
        raise NotFoundError("User not found.") from None


def group_list_with_counts() -> QuerySet[Group]:
    """Groups with how many users and collections they have, by name."""
    return Group.objects.annotate(
        member_count=Count("user", distinct=True),
        collection_count=Count("collections", distinct=True),
    ).order_by("name")
