"""Errors raised by the inference package.

Exception tree::

    InferenceError              code "inference_error"
    ├── ModelUnavailableError   code "model_unavailable"   no replica answered in time
    ├── ContextOverflowError    code "context_overflow"    prompt does not fit the model
    ├── UpstreamError           code "upstream_error"      the model server failed or broke off
    └── UnknownModelError       code "unknown_model"       a request named a model not served

Each error has a stable ``code`` (for API responses and metrics) and a
human-readable ``message``. Third-party errors are chained with ``raise ... from``.
"""

from __future__ import annotations


class InferenceError(Exception):
    """Root of every error raised by ``inference``."""

    code: str = "inference_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ModelUnavailableError(InferenceError):
    """No language model replica could be reached within the timeouts."""

    code = "model_unavailable"


class ContextOverflowError(InferenceError):
    """The prompt does not fit in the model's context window."""

    code = "context_overflow"


class UpstreamError(InferenceError):
    """The model server returned an error or broke off a stream that had started."""

    code = "upstream_error"


class UnknownModelError(InferenceError):
    """A request asked for a model (or tier) that the catalogue does not have."""

    code = "unknown_model"
