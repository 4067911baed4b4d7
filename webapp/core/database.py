"""The database out of reach: one test for it, one error, for every edge that renders errors.

A stopped, restarting or unreachable PostgreSQL (or a SQLite file locked past its
timeout) surfaces as Django's ``OperationalError`` or ``InterfaceError`` wherever
a query runs: in a view, in the session and authentication middleware, in an API
token lookup. Each is a temporary outage, not a bug: the caller gets a 503 with
the usual ``{code, message}`` and a ``Retry-After``, never a traceback page, and
the next request opens a fresh connection (nothing needs a restart).
"""

from __future__ import annotations

from django.db.utils import InterfaceError, OperationalError

from webapp.core.errors import ServiceUnavailableError

__all__ = ["RETRY_AFTER_S", "database_unavailable"]

RETRY_AFTER_S = 10
MESSAGE = "Enclave cannot reach its database at the moment. Please try again shortly."


def database_unavailable(exc: BaseException | None) -> ServiceUnavailableError | None:
    """The 503 error for ``exc`` when it means the database is out of reach, else None."""
    if isinstance(exc, OperationalError | InterfaceError):
        return ServiceUnavailableError(MESSAGE)
    return None
