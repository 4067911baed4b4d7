"""Sign-in page: local and LDAP accounts through one form, throttled; the SSO button."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webapp.config.settings import get_settings
from webapp.sso.throttle import login_failure_record, login_failures_clear, login_is_locked


def _address(request: HttpRequest) -> str:
    # The peer address. uvicorn puts the client's own there only for a proxy listed in
    # ENCLAVE_TRUSTED_PROXIES (webapp.runtime.uvicorn_proxy_options); anyone else's
    # X-Forwarded-For is ignored.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class LoginView(auth_views.LoginView):
    """Django's login, refusing a locked username or username+address (429).

    ``webapp.sso.throttle`` says when each lock applies.
    """

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Check the lockout before any password is tried."""
        username = request.POST.get("username", "")
        if login_is_locked(username=username, address=_address(request)):
            minutes = max(1, get_settings().sign_in.login_lockout_s // 60)
            return render(request, "web/login_locked.html", {"minutes": minutes}, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        """Count the failure."""
        login_failure_record(
            username=self.request.POST.get("username", ""), address=_address(self.request)
        )
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        """Signed in: forget earlier failures of this username here."""
        login_failures_clear(
            username=self.request.POST.get("username", ""), address=_address(self.request)
        )
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Whether to offer single sign-on, and its button's label."""
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.ENCLAVE_OIDC_ENABLED
        context["oidc_label"] = settings.ENCLAVE_OIDC_BUTTON_LABEL
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        return context
