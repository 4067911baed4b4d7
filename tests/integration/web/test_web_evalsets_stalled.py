"""An evaluation run whose worker died is ended by the reconciler, and the console says why.

The run's heartbeat (written at its start and after every question) stops when its
worker is killed; without the reconciler the run showed "running" for ever.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from webapp.evalsets.models import EvalKind, EvalRun, EvalRunStatus, EvalSet
from webapp.evalsets.services import STALLED_RUN_MESSAGE
from worker.tasks.maintenance import reconcile_documents

pytestmark = pytest.mark.django_db


def _run(eval_set: EvalSet, admin: User, *, silent_s: int, status: str) -> EvalRun:
    beat = timezone.now() - timedelta(seconds=silent_s)
    return EvalRun.objects.create(
        eval_set=eval_set,
        kind=EvalKind.RETRIEVAL,
        status=status,
        run_as=admin,
        started_by=admin,
        started_at=beat,
        heartbeat_at=beat,
        questions_total=4,
        questions_done=1,
    )


def test_a_run_that_lost_its_worker_is_ended_and_the_console_says_so():
    admin = User.objects.create_user("evaladmin", password="x", is_staff=True)
    eval_set = EvalSet.objects.create(name="Handbook questions", uploaded_by=admin)
    lost = _run(eval_set, admin, silent_s=3600, status=EvalRunStatus.RUNNING)
    alive = _run(eval_set, admin, silent_s=5, status=EvalRunStatus.RUNNING)
    queued = _run(eval_set, admin, silent_s=3600, status=EvalRunStatus.QUEUED)

    reconcile_documents()

    statuses = dict(EvalRun.objects.values_list("id", "status"))
    assert statuses == {lost.id: "failed", alive.id: "running", queued.id: "queued"}
    lost.refresh_from_db()
    assert lost.error_message == STALLED_RUN_MESSAGE
    assert lost.finished_at is not None
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("console-evaluation-set", args=[eval_set.id]))
    assert page.status_code == 200
    assert STALLED_RUN_MESSAGE in page.content.decode()
