"""The console's evaluation page: the customer's own question sets, their runs over time,
and a rebuilt index held because a set got worse on it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from webapp.core.errors import EnclaveError, NotFoundError
from webapp.evalsets.formats import EvalSetFormatError
from webapp.evalsets.gating import TOLERANCE, index_switch_confirm
from webapp.evalsets.models import EvalRun, EvalSet
from webapp.evalsets.selectors import (
    eval_run_status_snapshot,
    eval_runs_history,
    eval_set_get,
    eval_set_list,
    eval_sets_gating,
    index_check_held,
)
from webapp.evalsets.services import eval_run_start, eval_set_create
from webapp.web.charts import Series, line_chart
from webapp.web.forms import EvalRunForm, EvalSetUploadForm
from webapp.web.http import admin_required, error_text, flashed, json_error, parse_id_list

__all__ = [
    "console_evaluation",
    "console_evaluation_confirm",
    "console_evaluation_run",
    "console_evaluation_run_status",
    "console_evaluation_set",
]

RUN_LABELS = {
    "queued": gettext_lazy("Queued"),
    "running": gettext_lazy("Running"),
    "done": gettext_lazy("Done"),
    "failed": gettext_lazy("Failed"),
}


# Metrics shown per kind: (key in EvalRun.metrics, label).
SHOWN_METRICS = {
    "retrieval": (
        ("recall@1", "recall@1"),
        ("recall@3", "recall@3"),
        ("recall@5", "recall@5"),
        ("ndcg@10", "nDCG@10"),
    ),
    "answers": (
        ("answered", gettext_lazy("answered")),
        ("abstained", gettext_lazy("abstained")),
        ("facts_found", gettext_lazy("facts found")),
        ("f1", gettext_lazy("token F1")),
        ("citation_precision", gettext_lazy("citation precision")),
        ("coverage", gettext_lazy("citation coverage")),
    ),
}


def metric_cells(run: EvalRun | None) -> list[dict[str, Any]]:
    """The run's shown metrics as label/value pairs (value None: not applicable)."""
    if run is None:
        return []
    cells = []
    for key, label in SHOWN_METRICS.get(run.kind, ()):
        value = run.metrics.get(key)
        cells.append({"key": key, "label": str(label), "value": value})
    return cells


def index_check_context() -> dict[str, Any]:
    """What the console says about re-index checks (also shown on the console's home)."""
    held = index_check_held()
    rows = []
    for row in held.comparison if held else []:
        old, new = row.get("old", {}), row.get("new", {})
        rows.append(
            {
                "set": row.get("set", ""),
                "old_recall5": old.get("recall@5"),
                "new_recall5": new.get("recall@5"),
                "old_ndcg10": old.get("ndcg@10"),
                "new_ndcg10": new.get("ndcg@10"),
                "worse": row.get("worse", []),
            }
        )
    return {
        "held": held,
        "rows": rows,
        "gating_sets": list(eval_sets_gating().values_list("name", flat=True)),
        "tolerance": TOLERANCE,
    }


@admin_required
@require_http_methods(["GET", "POST"])
def console_evaluation(request: HttpRequest) -> HttpResponse:
    """Every set, the upload form, and the re-index check."""
    form = EvalSetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            eval_set = eval_set_create(
                name=form.cleaned_data["name"],
                content=upload.read(),
                filename=upload.name,
                actor=request.user,
            )
        except EvalSetFormatError as exc:
            form.add_error("file", error_text(exc))
        except EnclaveError as exc:
            form.add_error("name", error_text(exc))
        else:
            count = eval_set.items.count()
            messages.success(
                request,
                _("Set “%(name)s” stored: %(count)d questions.")
                % {"name": eval_set.name, "count": count},
            )
            return redirect("console-evaluation-set", eval_set_id=eval_set.id)
    context = {
        "nav": "console",
        "section": "evaluation",
        "form": form,
        "sets": [_set_row(s) for s in eval_set_list()],
        "check": index_check_context(),
    }
    return render(
        request, "web/console_evaluation.html", context, status=400 if form.errors else 200
    )


def _set_row(eval_set: EvalSet) -> dict[str, Any]:
    latest = eval_set.runs.filter(status="done").order_by("-finished_at", "-id")
    retrieval = latest.filter(kind="retrieval").first()
    answers = latest.filter(kind="answers").first()
    return {
        "set": eval_set,
        "retrieval": retrieval,
        "retrieval_cells": metric_cells(retrieval),
        "answers": answers,
        "answers_cells": metric_cells(answers),
    }


@admin_required
@require_GET
def console_evaluation_set(request: HttpRequest, eval_set_id: int) -> HttpResponse:
    """One set: run it, its runs over time (plot and table), per-question results."""
    eval_set = _get(eval_set_id)
    runs = list(eval_runs_history(eval_set=eval_set))
    shown = _shown_run(request, runs)
    context = {
        "nav": "console",
        "section": "evaluation",
        "eval_set": eval_set,
        "items": eval_set.items.all(),
        "form": EvalRunForm(),
        "runs": [
            {"run": r, "label": RUN_LABELS.get(r.status, r.status), "cells": metric_cells(r)}
            for r in reversed(runs)
        ],
        "shown_cells": metric_cells(shown),
        "shown": shown,
        "retrieval_chart": _chart(runs, "retrieval"),
        "answers_chart": _chart(runs, "answers"),
        "run_labels": {k: str(v) for k, v in RUN_LABELS.items()},
    }
    return render(request, "web/console_evaluation_set.html", context)


def _get(eval_set_id: int) -> EvalSet:
    try:
        return eval_set_get(eval_set_id=eval_set_id)
    except NotFoundError:
        raise Http404 from None


def _shown_run(request: HttpRequest, runs: list[EvalRun]) -> EvalRun | None:
    """The run whose per-question results are shown: ?run=ID, else the latest finished."""
    wanted = request.GET.get("run", "")
    done = [r for r in runs if r.status == "done"]
    for run in done:
        if str(run.id) == wanted:
            return run
    return done[-1] if done else None


def _chart(runs: list[EvalRun], kind: str) -> Any:
    """Quality over time as an SVG line chart in percent (None: fewer than one finished run)."""
    done = [r for r in runs if r.kind == kind and r.status == "done"]
    if not done:
        return None
    labels = [f"{r.finished_at:%m-%d %H:%M}" for r in done]

    def percent(key: str) -> list[float | None]:
        values = [r.metrics.get(key) for r in done]
        return [None if v is None else round(100 * v, 1) for v in values]

    if kind == "retrieval":
        title = _("Retrieval over time (recall@5 and nDCG@10)")
        series = [Series("recall@5", percent("recall@5"), "p50"),
                  Series("nDCG@10", percent("ndcg@10"), "p95")]  # fmt: skip
    else:
        title = _("Answers over time (facts found and token F1)")
        series = [Series(_("facts found"), percent("facts_found"), "p50"),
                  Series(_("token F1"), percent("f1"), "p95")]  # fmt: skip
    return line_chart(title, labels, series, unit="%")


@admin_required
@require_POST
def console_evaluation_run(request: HttpRequest, eval_set_id: int) -> HttpResponse:
    """Queue a run; the page then shows its progress live."""
    eval_set = _get(eval_set_id)
    form = EvalRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an evaluation and a user."))
        return redirect("console-evaluation-set", eval_set_id=eval_set.id)
    with flashed(request, _("Run queued.")), transaction.atomic():
        eval_run_start(
            eval_set=eval_set,
            kind=form.cleaned_data["kind"],
            actor=request.user,
            run_as=form.cleaned_data["run_as"] or request.user,
        )
    return redirect("console-evaluation-set", eval_set_id=eval_set.id)


@never_cache
@admin_required
@require_GET
def console_evaluation_run_status(request: HttpRequest) -> JsonResponse:
    """``{"runs": [...]}``: the progress of the runs named by ``?ids=``; polled by the page."""
    try:
        ids = parse_id_list(request.GET.get("ids", ""))
    except EnclaveError as exc:
        return json_error(exc)
    return JsonResponse({"runs": eval_run_status_snapshot(run_ids=ids)})


@admin_required
@require_POST
def console_evaluation_confirm(request: HttpRequest) -> HttpResponse:
    """Switch to the held index although a set got worse on it."""
    message = _("Switching to index %(name)s; searches use it in a moment.")
    with flashed(request, lambda: message % {"name": index.name}), transaction.atomic():
        index = index_switch_confirm(actor=request.user)
    return redirect("console-evaluation")
