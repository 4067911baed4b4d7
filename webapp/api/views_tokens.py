"""Token self-service: list, create (never wider than the calling token) and revoke."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts.models import ApiScope, ApiToken
from webapp.accounts.selectors import access_token, token_list_visible_to
from webapp.accounts.services import token_create, token_revoke, user_get
from webapp.api import serializers as s
from webapp.api.views_knowledge import validated
from webapp.core.errors import NotFoundError

__all__ = ["TokenDetailView", "TokenListView"]


def _require_scopes(token: ApiToken, scopes: list[str]) -> None:
    """A token may only mint tokens with scopes it has itself."""
    missing = [scope for scope in scopes if not token.has_scope(scope)]
    if missing:
        raise exceptions.PermissionDenied(
            f"This token cannot grant scopes it lacks: {', '.join(missing)}.",
            code="insufficient_scope",
        )


class TokenListView(APIView):
    # Any valid token may see and manage its user's own tokens.
    required_scope = None

    @extend_schema(operation_id="tokens_list", responses=s.TokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The user's tokens (every token, for an admin-scoped token of a staff user)."""
        tokens = token_list_visible_to(user=request.user)
        if not request.auth.has_scope(ApiScope.ADMIN):
            tokens = tokens.filter(user=request.user)
        return Response(s.TokenSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        request=s.TokenCreateSerializer,
        responses={201: s.TokenCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        """Create a token for yourself, or (admin scope, staff user) for a service account."""
        data = validated(s.TokenCreateSerializer, request.data)
        _require_scopes(request.auth, data["scopes"])
        owner = request.user
        if data.get("user") and data["user"] != request.user.username:
            _require_scopes(request.auth, [ApiScope.ADMIN])
            owner = user_get(data["user"])
            if owner is None:
                raise NotFoundError("User not found.")
        token, secret = token_create(
            user=owner,
            name=data["name"],
            scopes=data["scopes"],
            actor=request.user,
            expires_at=data.get("expires_at"),
            rate_limit_per_minute=data.get("rate_limit_per_minute"),
        )
        token = access_token(user=request.user, token_id=token.id)
        body = {"token": s.TokenSerializer(token).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    required_scope = None

    @extend_schema(operation_id="tokens_revoke", responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        """Revoke a token at once (your own; any, for an admin-scoped token)."""
        token = access_token(user=request.user, token_id=token_id)
        if token.user_id != request.user.pk:
            _require_scopes(request.auth, [ApiScope.ADMIN])
        token_revoke(token=token, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
