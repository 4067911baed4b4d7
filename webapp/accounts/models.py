"""API tokens: a token acts as its user (with that user's groups), limited by its scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiScope(models.TextChoices):
    """What a token may do; ``admin`` implies every other scope."""

    READ = "read", "Read collections, documents and search"
    ASK = "ask", "Ask questions, conversations and feedback"
    INGEST = "ingest", "Upload, delete and re-index documents"
    ADMIN = "admin", "Manage collections (staff users only)"
    SCIM = "scim", "Provision users and groups through SCIM (staff users only)"


DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class ApiToken(models.Model):
    """One API token; only the SHA-256 of its secret is stored, the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="Public start of the token, for display.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    rate_limit_per_minute = models.PositiveIntegerField(default=DEFAULT_RATE_LIMIT_PER_MINUTE)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        """Not revoked and not expired."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    def has_scope(self, scope: str) -> bool:
        """True when the token carries ``scope`` (or ``admin``, which implies all)."""
        return scope in self.scopes or ApiScope.ADMIN in self.scopes


class PasswordChangeRequired(models.Model):
    """A user who must choose their own password before anything else (web sign-in).

    Made for the first admin when Enclave generated their password, and by an
    admin's reset with "must change" ticked; removed when the user changes it.
    """

    class Reason(models.TextChoices):
        GENERATED = "generated", "Generated at installation"
        RESET = "reset", "Reset by an administrator"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_change_required"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
