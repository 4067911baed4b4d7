"""The scope of every search: the user's groups and the collections they open, read at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from webapp.core.permissions import STAFF_GROUP_ID
from webapp.knowledge.models import Collection
from webapp.knowledge.selectors import SearchScope, search_scope_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def collections(hr_group, finance_group) -> dict[str, Collection]:
    """HR (hr), Finance (finance), Shared (both), Closed (no group)."""
    made = {name: Collection.objects.create(name=name) for name in ("HR", "Finance", "Shared")}
    made["HR"].allowed_groups.set([hr_group])
    made["Finance"].allowed_groups.set([finance_group])
    made["Shared"].allowed_groups.set([hr_group, finance_group])
    made["Closed"] = Collection.objects.create(name="Closed")
    return made


def test_a_member_reaches_their_groups_and_the_collections_those_open_in_one_query(
    member, hr_group, collections
):
    Group.objects.create(name="unused")  # a group of nobody's changes nothing

    with CaptureQueriesContext(connection) as queries:
        scope = search_scope_for(user=member, collection_ids=None)

    assert scope == SearchScope(
        group_ids=[hr_group.id],
        collection_ids=sorted([collections["HR"].id, collections["Shared"].id]),
    )
    assert len(queries) == 1


def test_requested_collections_are_cut_to_the_readable_ones(member, collections):
    asked = [collections["Finance"].id, collections["Shared"].id, collections["Closed"].id]

    scope = search_scope_for(user=member, collection_ids=asked)

    assert scope.collection_ids == [collections["Shared"].id]


def test_a_member_of_two_groups_gets_each_collection_once(
    member, finance_group, hr_group, collections
):
    member.groups.add(finance_group)

    scope = search_scope_for(user=member, collection_ids=None)

    assert scope.group_ids == sorted([hr_group.id, finance_group.id])
    assert scope.collection_ids == sorted(
        c.id for name, c in collections.items() if name != "Closed"
    )


def test_a_user_without_groups_or_inactive_or_anonymous_reaches_nothing(member, collections):
    loner = User.objects.create_user("loner", password="x")
    member.is_active = False
    member.save()

    for user in (loner, member):
        assert search_scope_for(user=user, collection_ids=None).group_ids == []
    anonymous = search_scope_for(user=None, collection_ids=[collections["HR"].id])
    assert anonymous == SearchScope(group_ids=[], collection_ids=[])


def test_an_admin_reaches_everything_or_what_they_ask_for(admin_user, hr_group, collections):
    admin_user.groups.add(hr_group)
    asked = [collections["Closed"].id, collections["HR"].id]

    assert search_scope_for(user=admin_user, collection_ids=None) == SearchScope(
        group_ids=[STAFF_GROUP_ID, hr_group.id], collection_ids=None
    )
    assert search_scope_for(user=admin_user, collection_ids=asked).collection_ids == sorted(asked)
