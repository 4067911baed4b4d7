"""The one home of the read rule and of the admin rule.

Read rule: a user reads a chunk when their groups meet its groups. Every chunk's
payload carries its collection's group ids plus ``STAFF_GROUP_ID``, so staff
(admins) can read everything they manage. The list returned here is what every
search passes to Qdrant as a filter.

Admin rule: an admin is an active account with ``is_staff`` (a superuser made by
``createsuperuser`` or ``enclave serve`` has it too). Every service that changes
collections, documents, users, groups, other users' tokens or a collection's
model calls ``require_admin(actor)``. The CLI (run on the server by whoever
holds its files) and the worker act as ``SYSTEM``; ``None`` is no actor and is
refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from webapp.core.errors import PermissionDeniedError

__all__ = [
    "STAFF_GROUP_ID",
    "SYSTEM",
    "SystemActor",
    "actor_user",
    "payload_group_ids",
    "require_admin",
    "user_allowed_group_ids",
    "user_is_admin",
]

STAFF_GROUP_ID = 0


class SystemActor:
    """The actor of the CLI and the worker: allowed every admin action, audited as "system"."""

    pk = None
    username = "system"
    is_authenticated = True
    is_active = True
    is_staff = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()


def user_allowed_group_ids(user: Any, member_of: Iterable[int] | None = None) -> list[int]:
    """The group ids whose chunks ``user`` may read (empty for anonymous users).

    ``member_of``: the user's own group ids, when the caller has read them already
    (a search reads them with the collections they open, in one query).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if member_of is None:
        member_of = user.groups.values_list("id", flat=True)
    group_ids = sorted(set(member_of))
    if user.is_staff:
        group_ids.insert(0, STAFF_GROUP_ID)
    return group_ids


def payload_group_ids(collection_group_ids: Iterable[int]) -> tuple[int, ...]:
    """The group ids stored on a chunk of a collection readable by these groups."""
    return (STAFF_GROUP_ID, *sorted(set(collection_group_ids)))


def user_is_admin(user: Any) -> bool:
    """Whether ``user`` is an admin (``SYSTEM`` is); see the module docstring."""
    if user is SYSTEM:
        return True
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    )


def require_admin(actor: Any) -> None:
    """PermissionDeniedError unless ``actor`` is an admin or ``SYSTEM``."""
    if actor is None:
        # A caller that forgot its actor must not be waved through.
        raise PermissionDeniedError("This action needs an actor (a user, or SYSTEM).")
    if not user_is_admin(actor):
        raise PermissionDeniedError("Only administrators can do this.")


def actor_user(actor: Any) -> Any | None:
    """The user behind ``actor`` for "by whom" columns; None for ``SYSTEM``."""
    return None if actor is SYSTEM else actor
