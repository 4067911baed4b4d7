"""What SCIM knows of a user or group that Django's own rows do not hold."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class ScimUser(models.Model):
    """The identity provider's id and display name of a user, and when SCIM last changed it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim"
    )
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    display_name = models.CharField(max_length=255, blank=True)
    email_type = models.CharField(max_length=255, blank=True)  # "work", "home", ...
    email_primary = models.BooleanField(null=True)
    # False once the provider removed ``active``: shown as absent, the account stays active.
    active_stated = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)


class ScimGroup(models.Model):
    """The identity provider's id of a group, and when the group was created and last changed."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="scim")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
