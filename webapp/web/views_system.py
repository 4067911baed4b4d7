"""Health check used by process managers and tests, and the page for unhandled errors."""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from webapp.core.database import RETRY_AFTER_S, database_unavailable

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The web process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page; a 503 when the database is out of reach (JSON to JSON callers).

    Called by Django while it handles the exception, so ``sys.exc_info()`` names it.
    Rendered without the request's context: its processors would query the database.
    """
    outage = database_unavailable(sys.exc_info()[1])
    if outage is None:
        return defaults.server_error(request)
    if _wants_json(request):
        response: HttpResponse = JsonResponse(outage.as_dict(), status=outage.http_status)
    else:
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=outage.http_status)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _wants_json(request: HttpRequest) -> bool:
    accepts = request.headers.get("Accept", "")
    return request.content_type == "application/json" or "application/json" in accepts
