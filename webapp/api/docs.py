"""The API reference pages (ReDoc and Swagger UI), served entirely from this site.

drf-spectacular's own ReDoc page loads Google Fonts and its Swagger page runs an
inline script; here the fonts are the system's, the Swagger set-up script is a
second request to the same URL (``?script``), and Swagger's online validator
is off (``SWAGGER_UI_SETTINGS``). ReDoc's footer still links an image on
cdn.redoc.ly: the page's Content-Security-Policy keeps the browser from
fetching it. Both bundles inject inline styles, hence ``'unsafe-inline'`` for
styles on these two pages only; scripts stay ``'self'``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

from webapp.config.middleware import CONTENT_SECURITY_POLICY

__all__ = ["DOCS_CONTENT_SECURITY_POLICY", "ApiRedocView", "ApiSwaggerView"]

DOCS_CONTENT_SECURITY_POLICY = (
    CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
        "font-src 'self'", "font-src 'self' data:"
    )
    + "; worker-src 'self' blob:"
)


def _with_policy(response: Response) -> Response:
    response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return response


class ApiRedocView(SpectacularRedocView):
    """ReDoc without web fonts."""

    template_name = "api/redoc.html"
    # DRF answers OPTIONS with metadata, which an HTML template cannot render (a 500).
    http_method_names = ["get", "head"]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page; the schema comes from ``url_name``."""
        return _with_policy(super().get(request, *args, **kwargs))


class ApiSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its set-up script as a separate same-site request."""

    http_method_names = ["get", "head"]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page, or its set-up script with ``?script``."""
        return _with_policy(super().get(request, *args, **kwargs))
