"""Changes to evaluation sets and runs: upload a set, start a run, carry a run out."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from retrieval import Searcher
from webapp.audit.services import audit_record
from webapp.core.errors import ValidationError
from webapp.core.permissions import actor_user, require_admin
from webapp.evalsets.formats import parse_eval_set
from webapp.evalsets.models import EvalItem, EvalKind, EvalRun, EvalRunStatus, EvalSet
from webapp.evalsets.running import evaluate_items
from webapp.knowledge.index_engines import get_searcher
from webapp.knowledge.indexes import model_label, search_index_active
from webapp.knowledge.models import SearchIndex
from worker.contracts import enqueue_eval_run

__all__ = ["eval_run_execute", "eval_run_start", "eval_runs_fail_stalled", "eval_set_create"]

logger = logging.getLogger(__name__)


def eval_set_create(*, name: str, content: bytes, filename: str, actor: Any) -> EvalSet:
    """Store an uploaded CSV or JSONL set; nothing is stored when any row is bad."""
    require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationError(gettext_noop("An evaluation set needs a name."))
    if len(name) > 200:
        raise ValidationError(gettext_noop("The name is longer than 200 characters."))
    items = parse_eval_set(content, filename=filename)
    languages = ",".join(sorted({item.language for item in items}))
    try:
        with transaction.atomic():
            eval_set = EvalSet.objects.create(
                name=name,
                uploaded_by=actor_user(actor),
                languages=languages,
                source_filename=filename[:300],
            )
            EvalItem.objects.bulk_create(
                EvalItem(
                    eval_set=eval_set,
                    position=position,
                    question=item.question,
                    language=item.language,
                    expected_answer=item.answer,
                    facts=list(item.facts),
                    expected_title=item.document,
                    answerable=item.answerable,
                )
                for position, item in enumerate(items, start=1)
            )
            audit_record(
                kind="evalset.create",
                actor=actor,
                detail={"eval_set_id": eval_set.id, "name": name, "questions": len(items)},
            )
    except IntegrityError:
        raise ValidationError(
            gettext_noop("An evaluation set named %(name)r already exists."), params={"name": name}
        ) from None
    logger.info("evaluation set %s stored: %s questions", eval_set.id, len(items))
    return eval_set


def eval_run_start(
    *, eval_set: EvalSet, kind: str, actor: Any, run_as: Any | None = None
) -> EvalRun:
    """Queue a run of ``eval_set``, asked with ``run_as``'s permissions (default: the actor)."""
    require_admin(actor)
    if kind not in EvalKind.values:
        raise ValidationError(f"Unknown kind {kind!r}: retrieval or answers.")
    asker = run_as if run_as is not None else actor_user(actor)
    if asker is None or not getattr(asker, "is_active", False):
        raise ValidationError(gettext_noop("A run needs an active user to ask the questions as."))
    with transaction.atomic():
        run = EvalRun.objects.create(
            eval_set=eval_set,
            kind=kind,
            run_as=asker,
            started_by=actor_user(actor),
            questions_total=eval_set.items.count(),
        )
        audit_record(
            kind="evalset.run",
            actor=actor,
            detail={"eval_set_id": eval_set.id, "run_id": run.id, "kind": kind,
                    "run_as": asker.get_username()},
        )  # fmt: skip
        transaction.on_commit(lambda: enqueue_eval_run(run.id))
    return run


def eval_run_execute(
    *, run_id: int, searcher: Searcher | None = None, index: SearchIndex | None = None
) -> EvalRun | None:
    """Carry out a queued run (the worker's task); None when it is not queued any more.

    Without ``searcher`` the run asks the active index, as every chat question does;
    the index re-check passes the searcher and row of the index it compares.
    """
    now = timezone.now()
    claimed = EvalRun.objects.filter(id=run_id, status=EvalRunStatus.QUEUED).update(
        status=EvalRunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        logger.info("evaluation run %s is not queued; nothing to do", run_id)
        return None
    run = EvalRun.objects.select_related("eval_set", "run_as").get(id=run_id)
    if searcher is None:
        searcher = get_searcher()  # (records the active index on a first start)
        index = search_index_active()
    if index is not None:
        run.index_name, run.index_model = index.name, model_label(index)
    return _execute(run, searcher)


def _execute(run: EvalRun, searcher: Searcher) -> EvalRun:
    items = list(run.eval_set.items.all())

    def progress(done: int) -> None:
        EvalRun.objects.filter(id=run.id).update(questions_done=done, heartbeat_at=timezone.now())

    if run.run_as is None or not run.run_as.is_active:
        return _finish(run, error="The user the run asks as is gone or deactivated.")
    try:
        metrics, results = evaluate_items(run, items, searcher=searcher, progress=progress)
    except Exception:  # a run must end, and say so, whatever broke
        logger.exception("evaluation run %s failed", run.id)
        return _finish(run, error="The run failed; the server log has the reason.")
    run.metrics, run.results = metrics, results
    return _finish(run, error="")


STALLED_RUN_MESSAGE = "The run stopped: its worker went away. Start it again."


def eval_runs_fail_stalled(*, stalled_after_s: int) -> list[int]:
    """End the runs marked running that gave no sign of life for ``stalled_after_s``.

    A worker killed mid-run (a restart, out of memory) leaves its run "running" for
    ever otherwise; a run is not retried by itself, as a run that kills its worker
    would then kill the next one too. Returns the ids of the runs ended.
    """
    stale = timezone.now() - timedelta(seconds=stalled_after_s)
    stalled = EvalRun.objects.filter(status=EvalRunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    )
    ids = list(stalled.values_list("id", flat=True))
    if ids:
        EvalRun.objects.filter(id__in=ids, status=EvalRunStatus.RUNNING).update(
            status=EvalRunStatus.FAILED,
            error_message=STALLED_RUN_MESSAGE,
            finished_at=timezone.now(),
        )
        logger.warning("evaluation runs %s had stalled; marked failed", ids)
    return ids


def _finish(run: EvalRun, *, error: str) -> EvalRun:
    run.status = EvalRunStatus.FAILED if error else EvalRunStatus.DONE
    run.error_message = error
    run.finished_at = timezone.now()
    run.questions_done = run.questions_total if not error else run.questions_done
    run.save()
    logger.info("evaluation run %s %s (%s)", run.id, run.status, run.kind)
    return run
