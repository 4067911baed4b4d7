"""OpenAPI generation: every operation also documents the ``{code, message}`` errors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from webapp.api.serializers import ErrorSerializer

__all__ = ["EnclaveAutoSchema"]

ERROR_STATUSES = {
    "400": "Bad input (wrong types, invalid JSON or UTF-8).",
    "401": "Missing, invalid, expired or revoked token.",
    "403": "The token lacks the scope, or its user the right.",
    "404": "Not found, or not visible to the token's user.",
    "413": "The request body is too large.",
    "415": "Unsupported content type.",
    "429": "Rate limit of the token reached; see Retry-After.",
    "503": "A backend (index, model, database) is unavailable.",
}


class EnclaveAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the shared error responses."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status_code, description in ERROR_STATUSES.items():
            if status_code not in responses:
                body = self._get_response_for_code(ErrorSerializer, status_code, None, direction)
                body["description"] = description
                if status_code == "429":
                    body["headers"] = {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "Seconds to wait before the next request.",
                        }
                    }
                responses[status_code] = body
        return responses
