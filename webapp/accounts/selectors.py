"""Reads of API tokens: a user sees their own, an admin sees everyone's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from webapp.accounts.models import ApiToken
from webapp.core.errors import NotFoundError
from webapp.core.permissions import user_is_admin


def token_list_visible_to(*, user: Any) -> QuerySet[ApiToken]:
    """Tokens the user may see and revoke (all of them for admins)."""
    tokens = ApiToken.objects.select_related("user")
    if user_is_admin(user):
        return tokens
    return tokens.filter(user=user)


def access_token(*, user: Any, token_id: int) -> ApiToken:
    """A token the user may manage; NotFoundError otherwise (existence not revealed)."""
    try:
        return token_list_visible_to(user=user).get(id=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFoundError("Token not found.") from None


def token_list_of(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (the account page; admins' too)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def access_own_token(*, user: Any, token_id: int) -> ApiToken:
    """One of the user's own tokens; NotFoundError for anyone else's, an admin's view included."""
    try:
        return token_list_of(user=user).get(id=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFoundError("Token not found.") from None
