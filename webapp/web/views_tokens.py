"""The console's API tokens page: create a token for a user (shown once), list, revoke."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webapp.accounts.models import ApiToken
from webapp.accounts.selectors import access_token, token_list_visible_to
from webapp.accounts.services import token_create, token_revoke
from webapp.web.forms import TokenCreateForm
from webapp.web.http import admin_required, form_errors, or_404


def _tokens_page(
    request: HttpRequest, *, form: TokenCreateForm, secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "nav": "console",
        "section": "tokens",
        "form": form,
        "secret": secret,
        "tokens": token_list_visible_to(user=request.user).order_by("-created_at")[:200],
    }
    return render(request, "web/console_tokens.html", context, status=status)


@admin_required
@require_GET
def console_tokens(request: HttpRequest) -> HttpResponse:
    """Every token with its owner, scopes, expiry and last use, and the form that creates one."""
    return _tokens_page(request, form=TokenCreateForm())


@admin_required
@require_POST
def console_token_create(request: HttpRequest) -> HttpResponse:
    """Create a token; its secret is shown on this response only."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form=form, status=400)
    days = form.cleaned_data["expires_in_days"]
    with form_errors(form):
        _token, secret = token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            actor=request.user,
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        return _tokens_page(request, form=TokenCreateForm(), secret=secret)
    return _tokens_page(request, form=form, status=400)


def revoke_token(
    request: HttpRequest, access: Callable[..., ApiToken], token_id: int, *, then: str
) -> HttpResponse:
    """Revoke the token ``access`` lets the user reach (404 otherwise), then go to ``then``.

    Shared by the console's tokens page and the user's own account page.
    """
    token = or_404(access, user=request.user, token_id=token_id)
    token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token “%s” revoked.") % token.name)
    return redirect(then)


@admin_required
@require_POST
def console_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke a token: its next request fails."""
    return revoke_token(request, access_token, token_id, then="console-tokens")
