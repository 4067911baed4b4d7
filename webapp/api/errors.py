"""The API's one exception handler: every error is JSON ``{code, message}``.

Business errors (``EnclaveError``) keep their code and status; DRF's own
errors (validation, authentication, scope, throttling, parsing) get a stable
code from DRF's error codes; Django's refusals of a request (a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, other suspicious input) become 413/400.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from webapp.api.parsers import PayloadTooLarge
from webapp.core.database import RETRY_AFTER_S, database_unavailable
from webapp.core.errors import EnclaveError

__all__ = ["api_exception_handler", "api_not_found", "error_body"]

logger = logging.getLogger(__name__)


def error_body(code: str, message: str) -> dict[str, str]:
    """The JSON shape of every API error."""
    return {"code": code, "message": message}


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """DRF's nested error details as ``field: message`` lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            lines += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def _code(exc: Any) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    return str(getattr(exc.detail, "code", None) or exc.default_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render ``exc`` as ``{code, message}`` with the right status (and Retry-After on 429)."""
    outage = database_unavailable(exc)
    if outage is not None:
        logger.error("database unavailable: %s", type(exc).__name__)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return Response(outage.as_dict(), status=outage.http_status, headers=headers)
    if isinstance(exc, EnclaveError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge("The request body is too large.")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request was refused as malformed.")
    elif isinstance(exc, UnicodeDecodeError):
        exc = exceptions.ParseError("The request is not valid UTF-8.")
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body("internal_error", "Something went wrong on the server."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = error_body(_code(exc), "; ".join(_flatten(getattr(exc, "detail", ""))))
    return response


@csrf_exempt  # token clients send no CSRF cookie; a POST here must still get JSON
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """A path under the API's prefixes that names nothing (or an id that is not a number)."""
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
