"""The console's users and groups page: create users and groups, set groups, deactivate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from webapp.accounts.user_selectors import access_user, group_list_with_counts, user_list_for_admin
from webapp.accounts.user_services import (
    group_create,
    user_create,
    user_delete,
    user_reset_password,
    user_set_active,
    user_set_groups,
)
from webapp.chat.selectors import conversation_list_for
from webapp.core.errors import EnclaveError
from webapp.web.forms import GroupCreateForm, UserCreateForm, UserGroupsForm
from webapp.web.forms_account import PasswordResetForm
from webapp.web.http import admin_required, error_text, form_errors, or_404


def _users_page(
    request: HttpRequest,
    *,
    user_form: UserCreateForm | None = None,
    group_form: GroupCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.get("q", "")
    context = {
        "nav": "console",
        "section": "users",
        "query": query,
        "users": user_list_for_admin(actor=request.user, query=query),
        "groups": group_list_with_counts(),
        "user_form": user_form or UserCreateForm(),
        "group_form": group_form or GroupCreateForm(),
    }
    return render(request, "web/console_users.html", context, status=status)


@admin_required
@require_GET
def console_users(request: HttpRequest) -> HttpResponse:
    """Users with their groups, groups with their counts, and the forms that create them."""
    return _users_page(request)


@admin_required
@require_POST
def console_user_create(request: HttpRequest) -> HttpResponse:
    """Create a local user."""
    form = UserCreateForm(request.POST)
    if form.is_valid():
        try:
            user = user_create(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                group_ids=form.group_ids(),
                admin=form.cleaned_data["admin"],
                actor=request.user,
            )
        except EnclaveError as exc:
            form.add_error(
                "password" if "password" in exc.message.lower() else "username", error_text(exc)
            )
        else:
            messages.success(request, _("User “%s” created.") % user.username)
            return redirect("console-users")
    return _users_page(request, user_form=form, status=400)


@admin_required
@require_POST
def console_group_create(request: HttpRequest) -> HttpResponse:
    """Create a group."""
    form = GroupCreateForm(request.POST)
    if form.is_valid():
        with form_errors(form, "name"):
            group = group_create(name=form.cleaned_data["name"], actor=request.user)
            messages.success(request, _("Group “%s” created.") % group.name)
            return redirect("console-users")
    return _users_page(request, group_form=form, status=400)


def _user_or_404(request: HttpRequest, user_id: int) -> Any:
    return or_404(access_user, actor=request.user, user_id=user_id)


@admin_required
@require_http_methods(["GET", "POST"])
def console_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """One user: their groups and administrator right, password reset, deactivation."""
    person = _user_or_404(request, user_id)
    initial = {"groups": person.groups.all(), "admin": person.is_staff}
    form = UserGroupsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            user_set_groups(
                user=person,
                group_ids=form.group_ids(),
                admin=form.cleaned_data["admin"],
                actor=request.user,
            )
            messages.success(request, _("Groups of “%s” saved.") % person.username)
            return redirect("console-user", user_id=person.pk)
    return _user_page(request, person, form=form, status=400 if form.errors else 200)


def _user_page(
    request: HttpRequest,
    person: Any,
    *,
    form: UserGroupsForm | None = None,
    password_form: PasswordResetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = {"groups": person.groups.all(), "admin": person.is_staff}
    context = {
        "nav": "console",
        "section": "users",
        "person": person,
        "form": form or UserGroupsForm(initial=initial),
        "password_form": password_form or PasswordResetForm(),
        "is_self": person.pk == request.user.pk,
    }
    return render(request, "web/console_user.html", context, status=status)


@admin_required
@require_POST
def console_user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate or reactivate a user (``active=0|1``)."""
    person = _user_or_404(request, user_id)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(user=person, active=active, actor=request.user)
    except EnclaveError as exc:
        messages.error(request, error_text(exc))
    else:
        done = _("“%s” reactivated.") if active else _("“%s” deactivated.")
        messages.success(request, done % person.username)
    return redirect("console-user", user_id=person.pk)


@admin_required
@require_POST
def console_user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """Set another user's password; their browsers are signed out."""
    person = _user_or_404(request, user_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        with form_errors(form, "password"):
            user_reset_password(
                user=person,
                password=form.cleaned_data["password"],
                must_change=form.cleaned_data["must_change"],
                actor=request.user,
            )
            messages.success(request, _("Password of “%s” changed.") % person.username)
            return redirect("console-user", user_id=person.pk)
    return _user_page(request, person, password_form=form, status=400)


@admin_required
@require_http_methods(["GET", "POST"])
def console_user_delete(request: HttpRequest, user_id: int) -> HttpResponse:
    """Ask for confirmation (GET), then delete the user and their conversations (POST)."""
    person = _user_or_404(request, user_id)
    if request.method == "POST":
        try:
            user_delete(user=person, actor=request.user)
        except EnclaveError as exc:
            messages.error(request, error_text(exc))
            return redirect("console-user", user_id=person.pk)
        messages.success(request, _("User “%s” deleted.") % person.username)
        return redirect("console-users")
    context = {
        "nav": "console",
        "section": "users",
        "person": person,
        "conversations": conversation_list_for(user=person).count(),
        "tokens": person.api_tokens.filter(revoked_at__isnull=True).count(),
    }
    return render(request, "web/console_user_delete.html", context)
