"""The signed-in user's account page: their password and their own API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from webapp.accounts.selectors import access_own_token, token_list_of
from webapp.accounts.services import own_token_scopes, token_create_own
from webapp.accounts.signals import PASSWORD_CHANGE_SESSION_KEY
from webapp.accounts.user_services import user_change_password
from webapp.web.forms_account import OwnTokenCreateForm, PasswordChangeForm
from webapp.web.http import form_errors
from webapp.web.views_tokens import revoke_token


def _account_page(
    request: HttpRequest, *, form: OwnTokenCreateForm | None = None, secret: str = "", status=200
) -> HttpResponse:
    scopes = own_token_scopes(request.user)
    context = {
        "nav": "account",
        "form": form or OwnTokenCreateForm(scopes=scopes),
        "secret": secret,
        "tokens": token_list_of(user=request.user)[:200],
        "local_password": request.user.has_usable_password(),
    }
    return render(request, "web/account.html", context, status=status)


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """The user's tokens (and the form that creates one) and a link to change the password."""
    return _account_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest) -> HttpResponse:
    """Change one's own password; the only page while a change is required."""
    required = bool(request.session.get(PASSWORD_CHANGE_SESSION_KEY))
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            user_change_password(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
            update_session_auth_hash(request, request.user)  # this session stays signed in
            request.session.pop(PASSWORD_CHANGE_SESSION_KEY, None)
            messages.success(request, _("Your password was changed."))
            return redirect("account")
    context = {
        "nav": "account",
        "form": form,
        "required": required,
        "local_password": request.user.has_usable_password(),
    }
    return render(request, "web/account_password.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def account_token_create(request: HttpRequest) -> HttpResponse:
    """Create one of the user's own tokens; its secret is shown on this response only."""
    form = OwnTokenCreateForm(request.POST, scopes=own_token_scopes(request.user))
    if not form.is_valid():
        return _account_page(request, form=form, status=400)
    days = form.cleaned_data["expires_in_days"]
    with form_errors(form):
        _token, secret = token_create_own(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        return _account_page(request, secret=secret)
    return _account_page(request, form=form, status=400)


@login_required
@require_POST
def account_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens: its next request fails."""
    return revoke_token(request, access_own_token, token_id, then="account")
