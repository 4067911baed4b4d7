"""Admin changes to local users and groups, from the console (each one audited).

Users who sign in through OpenID Connect or LDAP get their groups from the
identity provider at every sign-in (``webapp.sso.groups``); changes made here to
their groups last until their next sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_noop

from webapp.accounts.models import ApiToken, PasswordChangeRequired
from webapp.accounts.passwords import password_store, password_validate
from webapp.audit.services import audit_record
from webapp.chat.models import Conversation
from webapp.core.errors import ValidationError
from webapp.core.permissions import require_admin

__all__ = [
    "GROUP_CREATE",
    "USER_ACTIVE",
    "USER_CREATE",
    "USER_DELETE",
    "USER_GROUPS",
    "USER_PASSWORD",
    "group_create",
    "group_name_checked",
    "user_change_password",
    "user_create",
    "user_delete",
    "user_reset_password",
    "user_set_active",
    "user_set_groups",
    "username_checked",
]

# Audit kinds (plain strings: the audit app's choices are not migrated for each new kind).
USER_CREATE = "user.create"
USER_GROUPS = "user.groups"
USER_ACTIVE = "user.active"
GROUP_CREATE = "group.create"
USER_PASSWORD = "user.password"
USER_DELETE = "user.delete"
USERNAME_LENGTH = 150
GROUP_NAME_LENGTH = 150


def username_checked(
    username: str, *, exclude_id: int | None = None, taken: type[ValidationError] = ValidationError
) -> str:
    """``username`` stripped; ValidationError if empty or too long, ``taken`` if in use.

    Case-insensitive, so "Maria" and "maria" cannot both sign in; ``exclude_id`` is the
    user being renamed.
    """
    username = username.strip()
    if not username or len(username) > USERNAME_LENGTH:
        raise ValidationError(
            gettext_noop("A username needs 1 to %(max)s characters."),
            params={"max": USERNAME_LENGTH},
        )
    users = get_user_model().objects.filter(username__iexact=username).exclude(pk=exclude_id)
    if users.exists():
        raise taken(
            gettext_noop("A user named %(name)r already exists."), params={"name": username}
        )
    return username


def group_name_checked(
    name: str, *, exclude_id: int | None = None, taken: type[ValidationError] = ValidationError
) -> str:
    """``name`` white space folded; ValidationError if empty or too long, ``taken`` if in use.

    Case-insensitive, like usernames; ``exclude_id`` is the group being renamed.
    """
    name = " ".join(name.split())
    if not name or len(name) > GROUP_NAME_LENGTH:
        raise ValidationError(
            gettext_noop("A group name needs 1 to %(max)s characters."),
            params={"max": GROUP_NAME_LENGTH},
        )
    if Group.objects.filter(name__iexact=name).exclude(pk=exclude_id).exists():
        raise taken(gettext_noop("A group named %(name)r already exists."), params={"name": name})
    return name


def _groups(group_ids: Iterable[int]) -> list[Group]:
    return list(Group.objects.filter(id__in=list(group_ids)).order_by("name"))


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    group_ids: Iterable[int] = (),
    admin: bool = False,
    actor: Any,
) -> Any:
    """A new local user; the password must pass the site's password policy."""
    require_admin(actor)
    user_model = get_user_model()
    username = username_checked(username)
    password_validate(password, user=user_model(username=username, email=email.strip()))
    user = user_model.objects.create_user(
        username=username, email=email.strip(), password=password, is_staff=admin
    )
    groups = _groups(group_ids)
    user.groups.set(groups)
    audit_record(
        kind=USER_CREATE,
        actor=actor,
        detail={
            "user_id": user.pk,
            "username": username,
            "admin": admin,
            "group_ids": [g.id for g in groups],
        },
    )
    return user


def user_set_groups(*, user: Any, group_ids: Iterable[int], admin: bool, actor: Any) -> None:
    """Exactly these groups (and admin or not); takes effect on the user's next request."""
    require_admin(actor)
    if user.pk == actor.pk and not admin:
        raise ValidationError(gettext_noop("You cannot remove your own administrator rights."))
    groups = _groups(group_ids)
    with transaction.atomic():
        user.groups.set(groups)
        if user.is_staff != admin:
            user.is_staff = admin
            user.save(update_fields=["is_staff"])
        audit_record(
            kind=USER_GROUPS,
            actor=actor,
            detail={"user_id": user.pk, "admin": admin, "group_ids": [g.id for g in groups]},
        )


def user_set_active(*, user: Any, active: bool, actor: Any) -> None:
    """Deactivate (or reactivate) a user: signed out at the next request, API tokens revoked.

    The tokens stay revoked when the account is reactivated (``webapp.accounts.signals``).
    """
    require_admin(actor)
    if user.pk == actor.pk and not active:
        raise ValidationError(gettext_noop("You cannot deactivate your own account."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(kind=USER_ACTIVE, actor=actor, detail={"user_id": user.pk, "active": active})


def group_create(*, name: str, actor: Any) -> Group:
    """A new, empty group."""
    require_admin(actor)
    name = group_name_checked(name)
    group = Group.objects.create(name=name)
    audit_record(kind=GROUP_CREATE, actor=actor, detail={"group_id": group.id, "name": name})
    return group


def user_change_password(*, user: Any, current_password: str, new_password: str) -> None:
    """The signed-in user's own change: the current password first, then the site's policy.

    Ends the user's other sessions; the caller keeps the one the change came from.
    """
    if not user.has_usable_password():
        raise ValidationError(gettext_noop("This account signs in through single sign-on."))
    if not user.check_password(current_password):
        raise ValidationError(gettext_noop("The current password is not correct."))
    if new_password == current_password:
        raise ValidationError(gettext_noop("The new password must differ from the current one."))
    password_validate(new_password, user=user)
    with transaction.atomic():
        password_store(user=user, password=new_password)
        audit_record(kind=USER_PASSWORD, actor=user, detail={"user_id": user.pk, "by": "self"})


def user_reset_password(*, user: Any, password: str, must_change: bool, actor: Any) -> None:
    """An admin sets another user's password; their sessions end at their next request."""
    require_admin(actor)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError(gettext_noop("Change your own password on your account page."))
    if not user.has_usable_password():
        raise ValidationError(gettext_noop("This account signs in through single sign-on."))
    password_validate(password, user=user)
    with transaction.atomic():
        reason = PasswordChangeRequired.Reason.RESET if must_change else None
        password_store(user=user, password=password, must_change=reason)
        audit_record(
            kind=USER_PASSWORD,
            actor=actor,
            detail={"user_id": user.pk, "by": "admin", "must_change": must_change},
        )


@transaction.atomic
def user_delete(*, user: Any, actor: Any) -> dict[str, int]:
    """Delete a user with their conversations, feedback and API tokens; returns the counts.

    Their sessions end with the row (a session names a user id that no longer
    exists, and ids are not reused). The audit log keeps their name on the events
    they caused; documents they uploaded stay, without an uploader.
    """
    require_admin(actor)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError(gettext_noop("You cannot delete your own account."))
    counts = {
        "conversations": Conversation.objects.filter(user=user).count(),
        "tokens": ApiToken.objects.filter(user=user).count(),
    }
    user_id, username = user.pk, user.username
    user.delete()
    audit_record(
        kind=USER_DELETE, actor=actor, detail={"user_id": user_id, "username": username, **counts}
    )
    return counts
