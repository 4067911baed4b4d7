"""Renaming, deleting, searching and exporting conversations, and feedback on answers."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webapp.chat.export import conversation_export_filename, conversation_markdown
from webapp.chat.export_pdf import conversation_pdf
from webapp.chat.selectors import access_conversation, conversation_search_for
from webapp.chat.services import conversation_delete, conversation_rename, feedback_give
from webapp.core.errors import EnclaveError, ValidationError
from webapp.web.http import flashed, json_error, json_object, or_404

MAX_SEARCH_CHARS = 200


@login_required
@require_POST
def conversation_rename_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Rename one of the user's conversations (form post), then show it again."""
    with flashed(request, _("Conversation renamed.")):  # someone else's: 404, not a message
        or_404(
            conversation_rename,
            user=request.user,
            conversation_id=conversation_id,
            title=request.POST.get("title", ""),
        )
    return redirect("conversation", conversation_id=conversation_id)


@login_required
@require_POST
def conversation_delete_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Delete one of the user's conversations, then start a new one."""
    or_404(conversation_delete, user=request.user, conversation_id=conversation_id)
    messages.success(request, _("Conversation deleted."))
    return redirect("chat")


def _parse_feedback(body: bytes) -> tuple[bool, str]:
    data = json_object(body)
    if not isinstance(data.get("helpful"), bool):
        raise ValidationError("helpful must be true or false.")
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise ValidationError("comment must be a string.")
    return data["helpful"], comment


@login_required
@require_POST
def feedback_view(request: HttpRequest, message_id: int) -> JsonResponse:
    """``{helpful, comment}`` on an answer of the user's own; returns what was stored."""
    try:
        helpful, comment = _parse_feedback(request.body)
        feedback = feedback_give(
            user=request.user, message_id=message_id, helpful=helpful, comment=comment
        )
    except EnclaveError as exc:
        return json_error(exc)
    return JsonResponse(
        {"message_id": message_id, "helpful": feedback.helpful, "comment": feedback.comment}
    )


@login_required
@require_GET
def conversation_search(request: HttpRequest) -> HttpResponse:
    """The user's own conversations whose title or messages contain ``?q=``."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_SEARCH_CHARS]
    hits = conversation_search_for(user=request.user, query=query) if query else []
    return render(request, "web/chat_search.html", {"nav": "chat", "query": query, "hits": hits})


def _download(
    request: HttpRequest,
    conversation_id: int,
    write: Callable[..., bytes | str],
    content_type: str,
    extension: str,
) -> HttpResponse:
    """The user's conversation written by ``write`` as an attachment; anyone else's is 404."""
    conversation = or_404(access_conversation, user=request.user, conversation_id=conversation_id)
    response = HttpResponse(
        write(user=request.user, conversation=conversation), content_type=content_type
    )
    filename = conversation_export_filename(conversation, extension=extension)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def conversation_export(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One of the user's conversations as a Markdown download; anyone else's is 404."""
    return _download(
        request, conversation_id, conversation_markdown, "text/markdown; charset=utf-8", "md"
    )


@login_required
@require_GET
def conversation_export_pdf(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One of the user's conversations as a PDF download; anyone else's is 404."""
    return _download(request, conversation_id, conversation_pdf, "application/pdf", "pdf")
