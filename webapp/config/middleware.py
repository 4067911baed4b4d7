"""The middleware stack, marked sync-only so that Django runs it as one synchronous chain.

Under ASGI, Django calls each async-capable middleware's hooks through
``sync_to_async``, a thread switch per hook, and WhiteNoise (sync only) cuts the
chain in two with another switch back and forth: about fifteen switches per
request, each one waiting for the GIL behind the other requests. Sync-only, the
whole stack runs in one switch on the request's thread, and a sync view with it
(webapp/config/request_threads.py; measured effect: docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware import clickjacking, common, csrf, locale, security
from whitenoise import middleware as whitenoise

from webapp.config.logs import (
    REQUEST_ID,
    REQUEST_ID_HEADER,
    accepted_request_id,
    bound_request_id,
)
from webapp.core.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "AuthenticationMiddleware",
    "CommonMiddleware",
    "ContentSecurityPolicyMiddleware",
    "CsrfViewMiddleware",
    "LocaleMiddleware",
    "MessageMiddleware",
    "RequestIdMiddleware",
    "RequestMetricsMiddleware",
    "SecurityMiddleware",
    "SessionMiddleware",
    "SyncMiddleware",
    "WhiteNoiseMiddleware",
    "XFrameOptionsMiddleware",
]


def _sync_only(middleware: type) -> type:
    """``middleware`` under its own name, marked as having no async mode."""
    attributes = {"async_capable": False, "__module__": __name__}
    return type(middleware.__name__, (middleware,), attributes)


SecurityMiddleware = _sync_only(security.SecurityMiddleware)
WhiteNoiseMiddleware = _sync_only(whitenoise.WhiteNoiseMiddleware)
SessionMiddleware = _sync_only(sessions.SessionMiddleware)
LocaleMiddleware = _sync_only(locale.LocaleMiddleware)
CommonMiddleware = _sync_only(common.CommonMiddleware)
CsrfViewMiddleware = _sync_only(csrf.CsrfViewMiddleware)
AuthenticationMiddleware = _sync_only(auth.AuthenticationMiddleware)
MessageMiddleware = _sync_only(messages.MessageMiddleware)
XFrameOptionsMiddleware = _sync_only(clickjacking.XFrameOptionsMiddleware)


# Scripts, styles, images, fonts and requests only from this site; no inline script
# or style, no plugins, no framing, forms post here. Document text, titles and file
# names from untrusted files reach the pages: if escaping ever failed, injected
# script would still not run. Pages that need more (the API docs) set their own.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class SyncMiddleware:
    """A middleware that runs synchronously only (Django adapts it once, at load)."""

    async_capable = False
    sync_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response


class ContentSecurityPolicyMiddleware(SyncMiddleware):
    """``Content-Security-Policy`` on every response that does not carry its own."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


class RequestIdMiddleware(SyncMiddleware):
    """Gives each request an id: the client's ``X-Request-ID`` when well-formed, else a new one.

    The id is the current request id (``webapp/config/logs.py``) while the request
    runs, so its log lines, the tasks it sends and its model calls carry it, and it
    goes back in the response's ``X-Request-ID``. A streamed body runs after this
    returns (an answer): it sets the id again where it is read.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        with bound_request_id(request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        if isinstance(response, StreamingHttpResponse) and response.is_async:
            response.streaming_content = _bound_stream(response.streaming_content, request_id)
        return response


async def _bound_stream(content: AsyncIterator[bytes], request_id: str) -> AsyncIterator[bytes]:
    """``content`` read with ``request_id`` current (the reading task's context is its own)."""
    REQUEST_ID.set(request_id)
    async for part in content:
        yield part


# Methods a label may name; anything else is counted as "other" (a bounded label set).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware(SyncMiddleware):
    """Counts and times every response by its URL name, method and status (near the top)."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        route = route_label(request)
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - started)
        return response


def route_label(request: HttpRequest) -> str:
    """The resolved URL name (or pattern) of a request; never its path, which is unbounded."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name if match.url_name else str(match.route)
    # WhiteNoise answers static files before URL resolution.
    if request.path.startswith(settings.STATIC_URL or "/static/"):
        return "static"
    return "unmatched"
