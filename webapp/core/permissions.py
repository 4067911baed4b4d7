"""The one home of the read rule: a user reads a chunk when their groups meet its groups.

Every chunk's payload carries its collection's group ids plus ``STAFF_GROUP_ID``,
so staff (admins) can read everything they manage. The list returned here is
what every search passes to Qdrant as a filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

STAFF_GROUP_ID = 0


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
    """Admins manage collections and documents."""
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)
