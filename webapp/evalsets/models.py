"""The customer's own evaluation sets, their dated runs, and the check of a rebuilt index.

An ``EvalSet`` is what an admin uploaded (CSV or JSONL, ``formats.py``); each
``EvalRun`` records one evaluation of it (retrieval or answers) against one index,
with its metrics and per-question results, so the console can show quality over
time. An ``IndexCheck`` is the comparison of the admin's sets on the active index
and on an index rebuilt for a new model: it holds the switch when a set got worse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EvalSet(models.Model):
    """Questions an admin uploaded, with what a correct answer holds."""

    name = models.CharField(max_length=200, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Languages of the questions, e.g. "en,pt".
    languages = models.CharField(max_length=50, blank=True)
    source_filename = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EvalItem(models.Model):
    """One question of a set (row order kept in ``position``)."""

    eval_set = models.ForeignKey(EvalSet, on_delete=models.CASCADE, related_name="items")
    position = models.IntegerField()
    question = models.TextField()
    language = models.CharField(max_length=8)
    expected_answer = models.TextField(blank=True)
    facts = models.JSONField(default=list)  # short strings a correct answer contains
    # Title of the document that answers it, matched at run time among the documents
    # the asking user may read; blank: the set does not say.
    expected_title = models.CharField(max_length=500, blank=True)
    answerable = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["eval_set", "position"], name="one_item_per_position")
        ]


class EvalKind(models.TextChoices):
    RETRIEVAL = "retrieval", "Retrieval"
    ANSWERS = "answers", "Answers"


class EvalRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class EvalRun(models.Model):
    """One dated evaluation of a set: its metrics and what each question got."""

    eval_set = models.ForeignKey(EvalSet, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=20, choices=EvalKind.choices)
    status = models.CharField(
        max_length=20, choices=EvalRunStatus.choices, default=EvalRunStatus.QUEUED
    )
    # Whose permissions the questions are asked with (the same filter as the chat).
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The index asked: its name and "model, backend" (the identity a re-index changes).
    index_name = models.CharField(max_length=200, blank=True)
    index_model = models.CharField(max_length=1200, blank=True)
    # Set when the run compared a rebuilt index (see IndexCheck).
    index_check = models.ForeignKey(
        "IndexCheck", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written at the start and after each question: a running run without one for long
    # lost its worker (see eval_runs_fail_stalled).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    questions_done = models.IntegerField(default=0)
    questions_total = models.IntegerField(default=0)
    metrics = models.JSONField(default=dict)
    results = models.JSONField(default=list)  # one object per question, in set order
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class IndexCheckState(models.TextChoices):
    HELD = "held", "Held"
    PASSED = "passed", "Passed"
    CONFIRMED = "confirmed", "Confirmed"


class IndexCheck(models.Model):
    """The admin's sets on the active index and on a rebuilt one, and what was decided."""

    index = models.OneToOneField(
        "knowledge.SearchIndex", on_delete=models.CASCADE, related_name="eval_check"
    )
    state = models.CharField(max_length=20, choices=IndexCheckState.choices)
    old_index_name = models.CharField(max_length=200)
    old_model = models.CharField(max_length=1200)
    new_model = models.CharField(max_length=1200)
    # [{"set": name, "old": {...}, "new": {...}, "worse": [metric, ...]}]
    comparison = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
