"""OpenID Connect entry points, answering 404 while OIDC is not configured."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

_start = OIDCAuthenticationRequestView.as_view()
_callback = OIDCAuthenticationCallbackView.as_view()


def oidc_start(request: HttpRequest) -> HttpResponse:
    """Redirect to the identity provider."""
    if not settings.ENCLAVE_OIDC_ENABLED:
        raise Http404
    return _start(request)


def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The identity provider's answer: sign the user in (groups mapped by the backend)."""
    if not settings.ENCLAVE_OIDC_ENABLED:
        raise Http404
    return _callback(request)
