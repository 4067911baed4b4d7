"""The console's usage page (charts drawn as SVG on the server) and the audit log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from webapp.audit.costs import UsageCosts, costs_csv, usage_costs
from webapp.audit.exports import audit_csv_lines
from webapp.audit.models import AuditEvent
from webapp.audit.selectors import audit_event_list_for, audit_kinds_in_use, document_titles
from webapp.audit.usage import period_start, usage_summary
from webapp.config.settings import get_settings
from webapp.web.charts import Series, bar_chart, line_chart
from webapp.web.http import admin_required, paged
from webapp.web.labels import audit_kind_label

PERIODS = (7, 30, 90)
AUDIT_PAGE_SIZE = 50


def _period(request: HttpRequest) -> int:
    """The period asked for (``?days=``), one of ``PERIODS``; 30 days otherwise."""
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        return 30
    return days if days in PERIODS else 30


def _costs(days: int) -> UsageCosts:
    usage = get_settings().usage
    return usage_costs(since=period_start(days), prices=usage.prices, currency=usage.currency)


@admin_required
@require_GET
def console_usage(request: HttpRequest) -> HttpResponse:
    """Questions per day, latency p50/p95, thumbs, unanswered, cited documents, costs."""
    days = _period(request)
    summary = usage_summary(days=days)
    costs = _costs(days)
    labels = [d.day.strftime("%m-%d") for d in summary.daily]
    questions_chart = bar_chart(
        _("Questions per day"), labels, [d.questions for d in summary.daily]
    )
    latency_chart = line_chart(
        _("Answer time per day (p50 and p95)"),
        labels,
        [
            Series(_("p50"), [_seconds(d.p50_ms) for d in summary.daily], "p50"),
            Series(_("p95"), [_seconds(d.p95_ms) for d in summary.daily], "p95"),
        ],
        unit=" s",
    )
    context = {
        "nav": "console",
        "section": "usage",
        "summary": summary,
        "periods": PERIODS,
        "questions_chart": questions_chart,
        "latency_chart": latency_chart,
        "p50_s": _seconds(summary.p50_ms),
        "p95_s": _seconds(summary.p95_ms),
        "helpful_percent": (
            round(100 * summary.helpful_ratio) if summary.helpful_ratio is not None else None
        ),
        "costs": costs,
        # (heading, table id, rows, the name of the row of answers with none)
        "cost_tables": [
            (_("Group"), "costs-by-group", costs.by_group, _("No group")),
            (_("Collection"), "costs-by-collection", costs.by_collection, _("No collection")),
            (_("Model"), "costs-by-model", costs.by_model, "—"),
        ],
    }
    return render(request, "web/console_usage.html", context)


@admin_required
@require_GET
def console_usage_costs_csv(request: HttpRequest) -> HttpResponse:
    """Tokens, model time and cost per group, collection and model for the period, as CSV."""
    days = _period(request)
    response = HttpResponse(costs_csv(_costs(days)), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="enclave-costs-{days}d-{stamp}.csv"'
    return response


def _seconds(ms: float | None) -> float | None:
    return round(ms / 1000, 2) if ms is not None else None


def _event_row(event: AuditEvent, titles: dict[int, str]) -> dict[str, Any]:
    detail = event.detail if isinstance(event.detail, dict) else {}
    exposed = detail.get("document_ids") if event.kind == AuditEvent.Kind.ASK else None
    cited = set(detail.get("cited_document_ids") or [])
    documents = [
        {"id": d, "title": titles.get(d, ""), "cited": d in cited}
        for d in (exposed if isinstance(exposed, list) else [])
    ]
    other = {
        k: v
        for k, v in detail.items()
        if k not in {"question", "document_ids", "cited_document_ids", "channel"}
    }
    return {
        "event": event,
        "label": audit_kind_label(event.kind),
        "question": detail.get("question", ""),
        "channel": detail.get("channel", ""),
        "documents": documents,
        "detail": other,
    }


def _filters(request: HttpRequest) -> tuple[str, str]:
    return request.GET.get("kind", "").strip(), request.GET.get("user", "").strip()


@admin_required
@require_GET
def console_audit(request: HttpRequest) -> HttpResponse:
    """Who asked what, which documents each answer exposed, and admin actions."""
    kind, username = _filters(request)
    events = audit_event_list_for(actor=request.user, kind=kind, username=username)
    page, query = paged(request, events, AUDIT_PAGE_SIZE)
    ids: set[int] = set()
    for event in page:
        if isinstance(event.detail, dict) and isinstance(event.detail.get("document_ids"), list):
            ids.update(i for i in event.detail["document_ids"] if isinstance(i, int))
    titles = document_titles(ids)
    context = {
        "nav": "console",
        "section": "audit",
        "page": page,
        "rows": [_event_row(e, titles) for e in page],
        "kinds": [(k, audit_kind_label(k)) for k in audit_kinds_in_use()],
        "kind": kind,
        "username": username,
        "query": query,
    }
    return render(request, "web/console_audit.html", context)


@admin_required
@require_GET
def console_audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered audit log as CSV."""
    kind, username = _filters(request)
    events = audit_event_list_for(actor=request.user, kind=kind, username=username)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        audit_csv_lines(events.iterator()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="enclave-audit-{stamp}.csv"'
    return response
