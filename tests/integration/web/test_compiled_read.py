"""A read compiled once per database returns what its queryset reads, for each argument."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from webapp.chat.models import ModelDefault
from webapp.chat.selectors import ModelDefaults, model_defaults_for
from webapp.core.compiled import CompiledRead

pytestmark = pytest.mark.django_db


def test_a_compiled_read_is_built_once_and_reads_what_its_queryset_reads(hr_group):
    built = []

    def groups_of(user_id: int):
        built.append(user_id)
        return Group.objects.filter(user=user_id).values_list("id", "name").order_by("id")

    read = CompiledRead(groups_of)
    ada, bob = (User.objects.create_user(name, password="x") for name in ("ada", "bob"))
    finance = Group.objects.create(name="finance")
    ada.groups.add(hr_group, finance)
    bob.groups.add(finance)

    for user in (ada, bob, ada):
        with CaptureQueriesContext(connection) as queries:
            rows = read.rows(user.pk)
        assert rows == [tuple(row) for row in groups_of(user.pk)]
        assert len(queries) == 1
    assert len(built) == 1 + 3  # compiled once; the other calls are this test's own


def test_a_read_that_does_not_use_its_argument_is_refused():
    with pytest.raises(ValueError, match="argument"):
        CompiledRead(lambda _user_id: Group.objects.values_list("id")).rows(1)


def test_model_defaults_are_the_users_own_and_every_collections(
    member, outsider, hr_collection, finance_collection
):
    ModelDefault.objects.create(user=member, model="large")
    ModelDefault.objects.create(user=outsider, model="small")
    ModelDefault.objects.create(collection=hr_collection, model="small")

    assert model_defaults_for(user=member) == ModelDefaults(
        user="large", collections={hr_collection.id: ("small", hr_collection.name)}
    )
    assert model_defaults_for(user=outsider).user == "small"
    ModelDefault.objects.filter(user=member).delete()
    assert model_defaults_for(user=member).user == ""
