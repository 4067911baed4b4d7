"""A web session whose password must be changed first sees only the password page.

The mark is set at sign-in (``webapp.accounts.signals``) for the first admin's
generated password and after an admin's reset with "must change" ticked. The
API is not gated: it signs in with tokens, never with a password.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from webapp.accounts.signals import PASSWORD_CHANGE_SESSION_KEY
from webapp.config.middleware import SyncMiddleware

__all__ = ["PasswordChangeGate"]

# Reachable while the change is pending: the page itself, signing out, the language switch.
OPEN_PREFIXES = ("/static/", "/i18n/", "/api/", "/v1/", "/healthz")


class PasswordChangeGate(SyncMiddleware):
    """Redirects every other web page to the password change (sync only, like the stack)."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(PASSWORD_CHANGE_SESSION_KEY):
            allowed = {reverse("account-password"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith(OPEN_PREFIXES):
                return redirect("account-password")
        return self.get_response(request)
