"""Evaluation-set run: thin (the run row is claimed once, so a duplicate message does nothing)."""

from __future__ import annotations

from webapp.evalsets.services import eval_run_execute
from worker.celery_app import app
from worker.contracts import RUN_EVAL_SET
from worker.tasks.options import retrying


@app.task(name=RUN_EVAL_SET, **retrying())
def run_eval_set(run_id: int) -> None:
    """Ask every question of the run's set and record the metrics."""
    eval_run_execute(run_id=run_id)
