"""SCIM's writes to users and groups, each audited like the console's (with ``via: scim``).

Accounts of staff users are read-only here: an identity provider's token must
not be a way to take over, lock out or rename an administrator (they are
managed in the console). Users made by SCIM have no password: they sign in
through single sign-on, matched by username.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from webapp.accounts.user_services import (
    GROUP_CREATE,
    USER_ACTIVE,
    USER_CREATE,
    USER_GROUPS,
    group_name_checked,
    user_delete,
    username_checked,
)
from webapp.audit.services import audit_record
from webapp.core.errors import PermissionDeniedError, ValidationError
from webapp.core.permissions import require_admin
from webapp.scim.models import ScimGroup, ScimUser

__all__ = [
    "GROUP_DELETE",
    "GROUP_MEMBERS",
    "GROUP_UPDATE",
    "USER_UPDATE",
    "DuplicateError",
    "UserFields",
    "scim_group_create",
    "scim_group_delete",
    "scim_group_update",
    "scim_user_create",
    "scim_user_delete",
    "scim_user_update",
]

# Audit kinds beside the console's (plain strings: the audit app's choices are not migrated).
USER_UPDATE = "user.update"
GROUP_UPDATE = "group.update"
GROUP_MEMBERS = "group.members"
GROUP_DELETE = "group.delete"
VIA = "scim"


class DuplicateError(ValidationError):
    """A username or group name that another user or group already has."""

    http_status = 409


@dataclass(frozen=True)
class UserFields:
    """The attributes of a user that SCIM writes."""

    username: str
    email: str = ""
    email_type: str = ""
    email_primary: bool | None = None
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    external_id: str = ""
    active: bool | None = True  # None: the provider states nothing; the account is active


def _require_not_staff(user: Any) -> None:
    if user.is_staff:
        raise PermissionDeniedError("Administrator accounts are managed in the console, not SCIM.")


def _store_user(user: Any, fields: UserFields) -> None:
    user.username = fields.username
    user.email = fields.email.strip()[:254]
    user.first_name = fields.first_name.strip()[:150]
    user.last_name = fields.last_name.strip()[:150]
    user.is_active = fields.active is not False
    user.save()  # a deactivation revokes the user's tokens (webapp.accounts.signals)
    ScimUser.objects.update_or_create(
        user=user,
        defaults={
            "external_id": fields.external_id[:255],
            "display_name": fields.display_name[:255],
            "email_type": fields.email_type[:255],
            "email_primary": fields.email_primary,
            "active_stated": fields.active is not None,
        },
    )


@transaction.atomic
def scim_user_create(*, fields: UserFields, actor: Any) -> Any:
    """A new user without a password (single sign-on), active or not as the provider says."""
    require_admin(actor)
    user = get_user_model()(username=username_checked(fields.username, taken=DuplicateError))
    user.set_unusable_password()
    active = True if fields.active is None else fields.active  # a new account is active
    _store_user(
        user, UserFields(**{**fields.__dict__, "username": user.username, "active": active})
    )
    detail = {"user_id": user.pk, "username": user.username, "admin": False, "group_ids": []}
    audit_record(kind=USER_CREATE, actor=actor, detail={**detail, "via": VIA})
    return user


@transaction.atomic
def scim_user_update(*, user: Any, fields: UserFields, actor: Any) -> None:
    """Replace the user's attributes; ``active=False`` ends their sessions and tokens at once."""
    require_admin(actor)
    _require_not_staff(user)
    username = username_checked(fields.username, exclude_id=user.pk, taken=DuplicateError)
    was_active = user.is_active
    _store_user(user, UserFields(**{**fields.__dict__, "username": username}))
    audit_record(
        kind=USER_UPDATE,
        actor=actor,
        detail={"user_id": user.pk, "username": username, "via": VIA},
    )
    if was_active != user.is_active:
        audit_record(
            kind=USER_ACTIVE,
            actor=actor,
            detail={"user_id": user.pk, "active": user.is_active, "via": VIA},
        )


def scim_user_delete(*, user: Any, actor: Any) -> None:
    """Delete the user as the console does (conversations, tokens, sessions go with them)."""
    _require_not_staff(user)
    user_delete(user=user, actor=actor)


def _members(member_ids: Iterable[int]) -> list[Any]:
    ids = sorted(set(member_ids))
    users = list(get_user_model().objects.filter(pk__in=ids))
    if len(users) != len(ids):
        raise ValidationError("Every member must be an existing user.")
    return users


def _audit_members(group: Group, before: set[int], after: set[int], actor: Any) -> None:
    if before == after:
        return
    detail = {
        "group_id": group.id,
        "added": sorted(after - before),
        "removed": sorted(before - after),
        "via": VIA,
    }
    audit_record(kind=GROUP_MEMBERS, actor=actor, detail=detail)
    for user_id in sorted(before ^ after):  # each user's own trail, as the console writes it
        group_ids = list(Group.objects.filter(user__pk=user_id).values_list("id", flat=True))
        audit_record(
            kind=USER_GROUPS,
            actor=actor,
            detail={"user_id": user_id, "group_ids": sorted(group_ids), "via": VIA},
        )


@transaction.atomic
def scim_group_create(
    *, name: str, external_id: str, member_ids: Iterable[int], actor: Any
) -> Group:
    """A new group with these members; they read its collections from their next request."""
    require_admin(actor)
    group = Group.objects.create(name=group_name_checked(name, taken=DuplicateError))
    ScimGroup.objects.create(group=group, external_id=external_id[:255])
    audit_record(
        kind=GROUP_CREATE,
        actor=actor,
        detail={"group_id": group.id, "name": group.name, "via": VIA},
    )
    members = _members(member_ids)
    group.user_set.set(members)
    _audit_members(group, set(), {u.pk for u in members}, actor)
    return group


@transaction.atomic
def scim_group_update(
    *, group: Group, name: str, external_id: str, member_ids: Iterable[int], actor: Any
) -> None:
    """Rename the group and set exactly these members (effective on each one's next request)."""
    require_admin(actor)
    group.name = group_name_checked(name, exclude_id=group.pk, taken=DuplicateError)
    group.save(update_fields=["name"])
    ScimGroup.objects.update_or_create(group=group, defaults={"external_id": external_id[:255]})
    audit_record(
        kind=GROUP_UPDATE,
        actor=actor,
        detail={"group_id": group.id, "name": group.name, "via": VIA},
    )
    before = set(group.user_set.values_list("pk", flat=True))
    members = _members(member_ids)
    group.user_set.set(members)
    _audit_members(group, before, {u.pk for u in members}, actor)


@transaction.atomic
def scim_group_delete(*, group: Group, actor: Any) -> None:
    """Delete the group: its members lose the collections it opened, from their next request."""
    require_admin(actor)
    members = set(group.user_set.values_list("pk", flat=True))
    group_id, name = group.pk, group.name
    group.delete()
    audit_record(
        kind=GROUP_DELETE,
        actor=actor,
        detail={"group_id": group_id, "name": name, "members": len(members), "via": VIA},
    )
