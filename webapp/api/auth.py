"""Bearer-token authentication and the scope check every API view goes through.

A token acts as its user, with that user's groups, so every read goes through
the same permission rule as the web UI; its scopes narrow what it may do on
top of that. A token is looked up on every request (no cache): a revoked
token fails on its next request.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from webapp.accounts.models import ApiToken
from webapp.accounts.services import token_authenticate
from webapp.core.errors import NotFoundError

__all__ = ["ApiTokenAuthentication", "HasTokenScope", "required_scope_for"]


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer enc_...`` -> (the token's user, the token)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>'.", code="invalid_token"
            )
        try:
            token = token_authenticate(raw=parts[1].decode("ascii"))
        except (UnicodeDecodeError, NotFoundError):
            raise exceptions.AuthenticationFailed(
                "The token is invalid, expired or revoked.", code="invalid_token"
            ) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="enclave"'


def required_scope_for(view: Any, method: str) -> str | None:
    """The scope a view needs for ``method``: ``required_scopes[method]`` or ``required_scope``."""
    per_method = getattr(view, "required_scopes", {})
    return per_method.get(method, getattr(view, "required_scope", None))


class HasTokenScope(BasePermission):
    """A valid token that carries the view's scope (``admin`` implies all)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        scope = required_scope_for(view, request.method or "GET")
        if scope is None or token.has_scope(scope):
            return True
        raise exceptions.PermissionDenied(
            f"This token lacks the '{scope}' scope.", code="insufficient_scope"
        )


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The Bearer scheme in the OpenAPI document."""

    target_class = ApiTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An Enclave API token."}
