"""The web app's business errors, rendered once at the edge as ``{code, message}``.

EnclaveError
├── NotFoundError        (also what a permission denial looks like: never reveal existence)
├── PermissionDeniedError
├── ValidationError
├── ServiceUnavailableError
└── StorageFullError     (the disk holding uploads is full: 507)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = [
    "EnclaveError",
    "ErrorCode",
    "NotFoundError",
    "PermissionDeniedError",
    "ServiceUnavailableError",
    "StorageFullError",
    "ValidationError",
]


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported_format"
    UNAVAILABLE = "unavailable"
    STORAGE_FULL = "storage_full"


class EnclaveError(Exception):
    """Root of the web app's errors; carries a stable code and a readable message."""

    http_status = 400
    code: ErrorCode = ErrorCode.INVALID

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        # ``message`` is English (the log, the API); marked with gettext_noop, the web
        # edge shows it translated, with ``params`` put in after translation.
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        """The JSON body shown to clients."""
        return {"code": str(self.code), "message": self.message}


class NotFoundError(EnclaveError):
    http_status = 404
    code = ErrorCode.NOT_FOUND


class PermissionDeniedError(EnclaveError):
    http_status = 403
    code = ErrorCode.PERMISSION_DENIED


class ValidationError(EnclaveError):
    http_status = 400
    code = ErrorCode.INVALID


class ServiceUnavailableError(EnclaveError):
    http_status = 503
    code = ErrorCode.UNAVAILABLE


class StorageFullError(EnclaveError):
    http_status = 507  # Insufficient Storage
    code = ErrorCode.STORAGE_FULL
