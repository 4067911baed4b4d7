"""The console's Feedback page: thumbs down, abstentions and weakly supported answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from webapp.chat.review_selectors import REVIEW_KINDS, answer_review_list, review_rows
from webapp.web.http import admin_required, paged
from webapp.web.labels import review_kind_label

REVIEW_PAGE_SIZE = 25


@admin_required
@require_GET
def console_feedback(request: HttpRequest) -> HttpResponse:
    """Answers to review, newest first, filtered by kind (``?kind=``), paginated."""
    kind = request.GET.get("kind", "").strip()
    if kind not in REVIEW_KINDS:
        kind = ""
    answers = answer_review_list(actor=request.user, kind=kind)
    page, query = paged(request, answers, REVIEW_PAGE_SIZE)
    context = {
        "nav": "console",
        "section": "feedback",
        "page": page,
        "rows": review_rows(page),
        "kinds": [(k, review_kind_label(k)) for k in REVIEW_KINDS],
        "kind": kind,
        "query": query,
    }
    return render(request, "web/console_feedback.html", context)
