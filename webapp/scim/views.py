"""The one view of ``/scim/v2/``: an API token with the ``scim`` scope, then scim2-server.

Only the ``Authorization: Bearer`` header authenticates here; a session cookie
is never read, so the view is CSRF-exempt without opening a way for a
signed-in browser. The token is looked up on every request, like the REST API's.
"""

from __future__ import annotations

import json
import logging
import math
from functools import cache
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    ForbiddenException,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService

from webapp.accounts.models import ApiScope, ApiToken
from webapp.accounts.services import token_authenticate
from webapp.api.throttling import TokenRateThrottle
from webapp.core.errors import NotFoundError
from webapp.core.permissions import user_is_admin
from webapp.scim.resources import provider
from webapp.scim.storage import DjangoStorage

__all__ = ["PREFIX", "scim_endpoint"]

PREFIX = "/scim/v2"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
logger = logging.getLogger(__name__)


@cache
def _service() -> ScimService:
    return ScimService(provider())


def _token(request: ScimRequest) -> ApiToken:
    """The request's token; 401 without a valid one, 403 without the scim scope."""
    scheme, _, raw = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise UnauthorizedException(detail="An API token with the scim scope is required.")
    try:
        token = token_authenticate(raw=raw.strip())
    except NotFoundError:
        raise UnauthorizedException(detail="The token is invalid, expired or revoked.") from None
    if not token.has_scope(ApiScope.SCIM):
        raise ForbiddenException(detail="This token lacks the 'scim' scope.")
    if not user_is_admin(token.user):  # the scope was given to a staff user since demoted
        raise ForbiddenException(detail="SCIM needs the token of a staff user.")
    return token


def _rate_limited(token: ApiToken) -> ScimResponse | None:
    """429 with Retry-After over the token's rate limit, as on the REST API."""
    throttle = TokenRateThrottle()
    if throttle.allow_request(SimpleNamespace(auth=token), None):  # type: ignore[arg-type]
        return None
    body = {"schemas": [ERROR_SCHEMA], "status": "429", "detail": "Too many requests."}
    retry_after = str(math.ceil(throttle.wait()))
    return ScimResponse(HTTPStatus.TOO_MANY_REQUESTS, body, {"Retry-After": retry_after})


def _scim_request(request: HttpRequest) -> ScimRequest:
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLargeException(detail="The request body is too large.") from None
    return ScimRequest(
        method=request.method or "GET",
        base_url=request.build_absolute_uri(PREFIX),
        path=request.path.removeprefix(PREFIX) or "/",
        query={key: request.GET[key] for key in request.GET},
        headers=dict(request.headers),
        body=body,
    )


def _serve(request: HttpRequest) -> tuple[ScimRequest | None, ScimResponse]:
    service = _service()
    scim_request = None
    try:
        scim_request = _scim_request(request)
        actor = None  # RFC 7644 §4: the capabilities are public; they name no one
        if service.match(scim_request).operation is not Operation.service_provider_config:
            token = _token(scim_request)
            if limited := _rate_limited(token):
                return scim_request, limited
            actor = token.user
        scim_request.subject = actor
        return scim_request, ScimHandler(service, DjangoStorage(actor)).handle(scim_request)
    except SCIMException as exc:
        if exc.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.error("SCIM request failed: %s", exc)
        return scim_request, service.error_response(exc)


@csrf_exempt  # token authentication only: no cookie is ever read here
def scim_endpoint(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Every ``/scim/v2/...`` request: authenticate, serve with scim2-server, render."""
    scim_request, scim_response = _serve(request)
    if scim_response.status == HTTPStatus.UNAUTHORIZED:
        scim_response.headers["WWW-Authenticate"] = 'Bearer realm="enclave-scim"'
    if scim_request is not None:
        scim_response.headers.setdefault("Location", scim_request.url)
    scim_response.headers.setdefault("Cache-Control", "no-cache")
    body = b"" if scim_response.body is None else json.dumps(scim_response.body).encode()
    response = HttpResponse(body, status=scim_response.status.value)
    for name, value in scim_response.headers.items():
        response[name] = value
    return response
