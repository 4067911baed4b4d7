"""Group mapping: the identity provider's groups decide a signed-in user's Enclave groups."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

__all__ = ["map_groups", "sso_sync_user"]

logger = logging.getLogger(__name__)


def map_groups(external: Iterable[str], group_map: Mapping[str, str]) -> list[str]:
    """Enclave group names for these IdP/LDAP groups.

    With a map, only mapped groups count (an allow-list); without one, the names are used as-is.
    """
    names = {g.strip() for g in external if isinstance(g, str) and g.strip()}
    if group_map:
        return sorted({group_map[n] for n in names if n in group_map})
    return sorted(names)


@transaction.atomic
def sso_sync_user(
    *,
    user: Any,
    external_groups: Iterable[str],
    group_map: Mapping[str, str],
    admin_groups: Iterable[str],
    source: str,
) -> None:
    """Give a user who signed in through SSO exactly the mapped groups (and admin or not)."""
    external = [g for g in external_groups if isinstance(g, str)]
    names = map_groups(external, group_map)
    groups = [Group.objects.get_or_create(name=name)[0] for name in names]
    user.groups.set(groups)
    admin = bool(set(external) & set(admin_groups))
    fields = []
    if user.is_staff != admin:
        user.is_staff = admin
        fields.append("is_staff")
    if user.has_usable_password():
        # The identity provider owns this account's password.
        user.set_unusable_password()
        fields.append("password")
    if fields:
        user.save(update_fields=fields)
    logger.info("%s sign-in: user %s has %s group(s)", source, user.pk, len(groups))
