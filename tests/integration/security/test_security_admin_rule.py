"""One admin rule: an active staff account, or the explicit SYSTEM actor of the CLI and worker.

Every service that changes collections, documents, users, groups, other users'
tokens or a collection's model asks ``require_admin(actor)``; ``None`` is no
actor and is refused (it used to skip the check).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from webapp.accounts.services import token_create
from webapp.accounts.user_services import group_create
from webapp.audit.models import AuditEvent
from webapp.chat.models import ModelDefault
from webapp.chat.services import collection_model_default_set
from webapp.core.errors import PermissionDeniedError
from webapp.core.permissions import SYSTEM, require_admin, user_is_admin
from webapp.knowledge.models import Collection
from webapp.knowledge.services import collection_create

pytestmark = pytest.mark.django_db

WEBAPP = Path(__file__).resolve().parents[3] / "webapp"


def test_no_actor_is_refused_and_nothing_changes():
    with pytest.raises(PermissionDeniedError, match="needs an actor"):
        collection_create(name="Orphan", actor=None)
    with pytest.raises(PermissionDeniedError):
        group_create(name="Orphans", actor=None)

    assert not Collection.objects.filter(name="Orphan").exists()


def test_a_superuser_without_staff_is_no_admin_anywhere(world):
    # The chat app used to accept is_superuser alone where every other service wanted is_staff.
    root = User.objects.create(username="root", is_superuser=True, is_staff=False)

    with pytest.raises(PermissionDeniedError):
        collection_model_default_set(collection=world.collections["A"], model="", actor=root)
    with pytest.raises(PermissionDeniedError):
        collection_create(name="Root's", actor=root)

    assert not user_is_admin(root)
    assert not ModelDefault.objects.exists()


def test_an_inactive_staff_account_is_no_admin(world):
    sam = world.users["sam"]
    sam.is_active = False

    with pytest.raises(PermissionDeniedError):
        require_admin(sam)


def test_system_acts_as_admin_and_is_audited_as_system(world):
    collection = collection_create(name="From the terminal", actor=SYSTEM)
    token, _ = token_create(user=world.users["ann"], name="svc", scopes=["read"], actor=SYSTEM)

    event = AuditEvent.objects.get(kind="collection.create", detail__name="From the terminal")
    assert collection.name == "From the terminal"
    assert (event.actor_id, event.actor_name) == (None, "system")
    assert token.created_by is None


def test_members_may_not_act_for_others(world):
    with pytest.raises(PermissionDeniedError):
        token_create(user=world.users["ben"], name="x", scopes=["read"], actor=world.users["ann"])
    with pytest.raises(PermissionDeniedError):
        collection_model_default_set(
            collection=world.collections["A"], model="", actor=world.users["ann"]
        )


def test_the_admin_check_is_defined_once():
    defined = sorted(
        f"{path.relative_to(WEBAPP)}:{node.name}"
        for path in WEBAPP.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and "require_admin" in node.name
    )

    assert defined == ["core/permissions.py:require_admin"]
