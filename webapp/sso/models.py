"""Failed sign-ins, counted per username and address for the lockout (shared by all processes)."""

from __future__ import annotations

from django.db import models


class LoginFailure(models.Model):
    """One failed sign-in; rows older than the lockout window are deleted as they are seen."""

    username = models.CharField(max_length=150)
    address = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "address", "created_at"])]
