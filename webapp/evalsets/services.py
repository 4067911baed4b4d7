"""Changes to evaluation sets and runs: upload a set, start a run, carry a run out."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

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

__all__ = ["eval_run_execute", "eval_run_start", "eval_set_create"]

logger = logging.getLogger(__name__)


def eval_set_create(*, name: str, content: bytes, filename: str, actor: Any) -> EvalSet:
    """Store an uploaded CSV or JSONL set; nothing is stored when any row is bad."""
    require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationError("An evaluation set needs a name.")
    if len(name) > 200:
        raise ValidationError("The name is longer than 200 characters.")
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
        raise ValidationError(f"An evaluation set named {name!r} already exists.") from None
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
        raise ValidationError("A run needs an active user to ask the questions as.")
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
    claimed = EvalRun.objects.filter(id=run_id, status=EvalRunStatus.QUEUED).update(
        status=EvalRunStatus.RUNNING, started_at=timezone.now()
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
        EvalRun.objects.filter(id=run.id).update(questions_done=done)

    if run.run_as is None or not run.run_as.is_active:
        return _finish(run, error="The user the run asks as is gone or deactivated.")
    try:
        metrics, results = evaluate_items(run, items, searcher=searcher, progress=progress)
    except Exception:  # a run must end, and say so, whatever broke
        logger.exception("evaluation run %s failed", run.id)
        return _finish(run, error="The run failed; the server log has the reason.")
    run.metrics, run.results = metrics, results
    return _finish(run, error="")


def _finish(run: EvalRun, *, error: str) -> EvalRun:
    run.status = EvalRunStatus.FAILED if error else EvalRunStatus.DONE
    run.error_message = error
    run.finished_at = timezone.now()
    run.questions_done = run.questions_total if not error else run.questions_done
    run.save()
    logger.info("evaluation run %s %s (%s)", run.id, run.status, run.kind)
    return run
