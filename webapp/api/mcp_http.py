"""The MCP endpoint (streamable HTTP) mounted beside Django in the ASGI app, at ``/mcp``.

Every request carries an API token (``Authorization: Bearer enc_...``), checked as
the REST API checks it: 401 without a valid token, 403 when it carries neither the
``read`` nor the ``ask`` scope (each tool then checks its own), 429 over the
token's rate limit, 400 for a Host outside ``ENCLAVE_ALLOWED_HOSTS``. The server
is stateless (no MCP session kept between requests, so any web process can answer
any request) and answers each request with one JSON body. The SDK's session
manager runs for the life of the ASGI app (its ``lifespan``).
"""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host
from mcp.server.transport_security import TransportSecuritySettings

from webapp.accounts.models import ApiScope, ApiToken
from webapp.accounts.services import token_authenticate
from webapp.api.errors import error_body
from webapp.api.mcp_tools import TOKEN_SCOPE_KEY, build_mcp_server
from webapp.api.throttling import TokenRateThrottle
from webapp.core.errors import NotFoundError

__all__ = ["MCP_PATH", "McpMount"]

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
ASGIApp = Any  # (scope, receive, send) -> awaitable
_TOOL_SCOPES = (ApiScope.READ, ApiScope.ASK)


class _Refusal(Exception):
    """A request refused before it reaches the MCP server."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _header(scope: dict[str, Any], name: bytes) -> str:
    value = next((v for k, v in scope.get("headers", []) if k.lower() == name), b"")
    return value.decode("latin-1")


def _check_host(scope: dict[str, Any]) -> None:
    domain, _port = split_domain_port(_header(scope, b"host"))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        raise _Refusal(400, "invalid", "Invalid Host header.", {})


def _authenticate(scope: dict[str, Any]) -> ApiToken:
    """The request's token, refused as the REST API refuses it (401, 403, 429)."""
    challenge = {"WWW-Authenticate": 'Bearer realm="enclave"'}
    parts = _header(scope, b"authorization").split()
    if not parts or parts[0].lower() != "bearer":
        raise _Refusal(
            401, "not_authenticated", "Authentication credentials were not provided.", challenge
        )
    try:
        if len(parts) != 2:
            raise NotFoundError("Malformed Authorization header.")
        token = token_authenticate(raw=parts[1])
    except NotFoundError:
        raise _Refusal(
            401, "invalid_token", "The token is invalid, expired or revoked.", challenge
        ) from None
    finally:
        close_old_connections()
    if not any(token.has_scope(scope_) for scope_ in _TOOL_SCOPES):
        raise _Refusal(
            403, "insufficient_scope", "This token lacks the 'read' and 'ask' scopes.", {}
        )
    throttle = TokenRateThrottle()
    if not throttle.allow_request(SimpleNamespace(auth=token), None):
        wait = f"{throttle.wait():.0f}"
        raise _Refusal(429, "throttled", "Too many requests.", {"Retry-After": wait})
    return token


def _checked(scope: dict[str, Any]) -> ApiToken:
    _check_host(scope)
    return _authenticate(scope)


async def _refuse(send: Any, refusal: _Refusal) -> None:
    body = json.dumps(error_body(refusal.code, refusal.message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    headers += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class McpMount:
    """An ASGI app: ``/mcp`` to the MCP server after the token check, the rest to Django."""

    def __init__(self, django_app: ASGIApp) -> None:
        self._django = django_app
        self._server = build_mcp_server()
        # Builds the session manager; its Starlette app is not used (the route is ours).
        self._server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            # The Host check above applies ENCLAVE_ALLOWED_HOSTS, as Django does.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"].rstrip("/") == MCP_PATH:
            await self._mcp(scope, receive, send)
        else:
            await self._django(scope, receive, send)

    async def _mcp(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            token = await sync_to_async(_checked, thread_sensitive=False)(scope)
        except _Refusal as refusal:
            logger.info("mcp request refused: %s", refusal.code)
            await _refuse(send, refusal)
            return
        scope = {**scope, TOKEN_SCOPE_KEY: token}
        await self._server.session_manager.handle_request(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        """Run the MCP session manager from the server's start to its shutdown."""
        await receive()  # lifespan.startup
        async with self._server.session_manager.run():
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
