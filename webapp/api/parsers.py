"""Request parsing with limits: a JSON body is bounded and must be strict UTF-8 JSON."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser

from webapp.core.json_body import JSONBodyError, json_body_loads

__all__ = ["JSONOnlyNegotiation", "LimitedJSONParser", "PayloadTooLarge"]


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    """JSON bodies up to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes; no NaN, Infinity or deep nesting."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"JSON bodies are limited to {limit // (1024 * 1024)} MB.")
        try:
            return json_body_loads(raw)
        except JSONBodyError as exc:
            raise exceptions.ParseError(str(exc)) from None


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Never 406: an Accept the view cannot honour gets its first renderer (JSON for the API).

    Streams set their own content type; the schema view still honours ``?format=json``.
    """

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: Any = None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type
