"""Reads of evaluation sets and runs (the console and the CLI are for admins only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from webapp.core.errors import NotFoundError
from webapp.evalsets.models import EvalRun, EvalSet, IndexCheck, IndexCheckState

__all__ = [
    "eval_run_status_snapshot",
    "eval_runs_history",
    "eval_set_get",
    "eval_set_list",
    "eval_sets_gating",
    "index_check_held",
    "index_check_of",
]


def eval_set_list() -> QuerySet[EvalSet]:
    """Every set with its number of questions."""
    return EvalSet.objects.select_related("uploaded_by").annotate(questions=Count("items"))


def eval_set_get(*, eval_set_id: int | None = None, name: str | None = None) -> EvalSet:
    """One set by id or by name; NotFoundError when there is none."""
    found = eval_set_list()
    try:
        if eval_set_id is not None:
            return found.get(id=eval_set_id)
        return found.get(name=name)
    except EvalSet.DoesNotExist:
        raise NotFoundError("Evaluation set not found.") from None


def eval_runs_history(*, eval_set: EvalSet, kind: str | None = None) -> QuerySet[EvalRun]:
    """The set's runs, oldest first (the order of a plot over time)."""
    runs = eval_set.runs.select_related("run_as").order_by("created_at", "id")
    return runs.filter(kind=kind) if kind else runs


def eval_run_status_snapshot(*, run_ids: list[int]) -> list[dict[str, Any]]:
    """Progress of these runs, for the console's live view."""
    return [
        {
            "id": run.id,
            "status": run.status,
            "questions_done": run.questions_done,
            "questions_total": run.questions_total,
            "progress_percent": (
                min(100, run.questions_done * 100 // run.questions_total)
                if run.questions_total
                else 0
            ),
            "error": run.error_message,
        }
        for run in EvalRun.objects.filter(id__in=run_ids).order_by("id")
    ]


def eval_sets_gating() -> QuerySet[EvalSet]:
    """Sets that decide a re-index: those with a question naming an expected document."""
    # One filter(): the same item must be answerable and name a document.
    judged = EvalSet.objects.filter(items__answerable=True, items__expected_title__gt="")
    return judged.distinct().order_by("name")


def index_check_of(*, index_id: int) -> IndexCheck | None:
    """The comparison recorded for a rebuilt index, if any."""
    return IndexCheck.objects.filter(index_id=index_id).first()


def index_check_held() -> IndexCheck | None:
    """The rebuilt index waiting for an admin because a set got worse on it, if any."""
    return (
        IndexCheck.objects.select_related("index")
        .filter(state=IndexCheckState.HELD, index__state="building")
        .first()
    )
