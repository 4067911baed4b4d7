"""Small HTTP helpers shared by the web views: errors and messages, the admin gate, paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

from webapp.core.errors import EnclaveError, NotFoundError, ValidationError
from webapp.core.json_body import JSONBodyError, json_body_loads
from webapp.core.permissions import user_is_admin

__all__ = [
    "admin_required",
    "error_text",
    "flashed",
    "form_errors",
    "json_error",
    "json_object",
    "or_404",
    "paged",
    "parse_id_list",
]

MAX_IDS = 500

T = TypeVar("T")


def error_text(exc: EnclaveError) -> str:
    """A business error's message in the current language (unmarked ones as they are)."""
    if not exc.template:
        return exc.message
    text = gettext(exc.template)
    return text % exc.params if exc.params else text


@contextmanager
def flashed(request: HttpRequest, success: str | Callable[[], str]) -> Iterator[None]:
    """A console action's business error as an error message, else ``success`` as a message.

    ``success`` may be a callable, read after the action (a name it has just changed).
    """
    try:
        yield
    except EnclaveError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success() if callable(success) else success)


@contextmanager
def form_errors(form: forms.Form, field: str | None = None) -> Iterator[None]:
    """A business error raised in the block as an error of ``form`` on ``field`` (None: the form).

    The error does not propagate: after the block the view renders the form again with it.
    """
    try:
        yield
    except EnclaveError as exc:
        form.add_error(field, error_text(exc))


def json_error(exc: EnclaveError) -> JsonResponse:
    """A business error as ``{code, message}`` (translated) with its HTTP status."""
    return JsonResponse({**exc.as_dict(), "message": error_text(exc)}, status=exc.http_status)


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (empty: ``{}``); ValidationError otherwise."""
    try:
        data = json_body_loads(body or b"{}")
    except JSONBodyError:
        raise ValidationError("The request body must be JSON.") from None
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.")
    return data


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login first, then 404 for non-admins: the console's existence is not advertised."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_is_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def or_404(access: Callable[..., T], **ids: Any) -> T:
    """``access(**ids)`` with its ``NotFoundError`` as the page's 404 (existence not revealed)."""
    try:
        return access(**ids)
    except NotFoundError:
        raise Http404 from None


def parse_id_list(raw: str) -> list[int]:
    """``"1,2,3"`` as ``[1, 2, 3]``; ValidationError for anything else."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > MAX_IDS:
        raise ValidationError(f"At most {MAX_IDS} ids at a time.")
    try:
        return [int(part) for part in parts]
    except ValueError:
        raise ValidationError("ids must be comma-separated integers.") from None


def paged(request: HttpRequest, items: Any, per_page: int) -> tuple[Page, str]:
    """The page ``?page=`` of ``items``, and the query string without it (web/_pager.html)."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
