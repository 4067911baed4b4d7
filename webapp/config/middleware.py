"""The middleware stack, marked sync-only so that Django runs it as one synchronous chain.

Under ASGI, Django calls each async-capable middleware's hooks through
``sync_to_async``, a thread switch per hook, and WhiteNoise (sync only) cuts the
chain in two with another switch back and forth: about fifteen switches per
request, each one waiting for the GIL behind the other requests. Sync-only, the
whole stack runs in one switch on the request's thread, and a sync view with it
(webapp/config/request_threads.py; measured effect: docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse
from django.middleware import clickjacking, common, csrf, locale, security
from whitenoise import middleware as whitenoise

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "AuthenticationMiddleware",
    "CommonMiddleware",
    "ContentSecurityPolicyMiddleware",
    "CsrfViewMiddleware",
    "LocaleMiddleware",
    "MessageMiddleware",
    "SecurityMiddleware",
    "SessionMiddleware",
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


class ContentSecurityPolicyMiddleware:
    """``Content-Security-Policy`` on every response that does not carry its own."""

    async_capable = False
    sync_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
