"""Deprovisioning through SCIM takes effect on the user's very next request.

A deactivated or deleted user's web session and API tokens are refused at once;
a user removed from a group no longer finds that group's document by the next
search through the API, and finds it again once added back.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.integration.scim.conftest import PASSWORD, make_token
from tests.support.documents import LEAVE_SENTENCE

pytestmark = [pytest.mark.integration]

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def _signed_in(user: User) -> Client:
    browser = Client()
    assert browser.login(username=user.username, password=PASSWORD)
    assert browser.get("/").status_code == 200
    return browser


def _api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["active=false", "DELETE"])
def test_the_next_request_of_a_deprovisioned_user_is_refused(scim, how):
    maria = User.objects.create_user("maria", password=PASSWORD)
    browser = _signed_in(maria)
    api = _api(make_token(maria, ["read", "ask"]))
    assert api.get("/api/v1/collections").status_code == 200

    if how == "DELETE":
        assert scim.call("delete", f"Users/{maria.pk}").status_code == 204
    else:
        off = _patch({"op": "replace", "path": "active", "value": False})
        assert scim.call("patch", f"Users/{maria.pk}", off).status_code == 204

    page = browser.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    refused = api.get("/api/v1/collections")
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    assert not Client().login(username="maria", password=PASSWORD)


@pytest.mark.django_db
def test_reactivation_does_not_bring_old_tokens_back(scim):
    maria = User.objects.create_user("maria", password=PASSWORD)
    api = _api(make_token(maria, ["read"]))
    off = _patch({"op": "replace", "path": "active", "value": False})
    on = _patch({"op": "replace", "path": "active", "value": True})
    scim.call("patch", f"Users/{maria.pk}", off)
    scim.call("patch", f"Users/{maria.pk}", on)
    assert _signed_in(maria).get("/").status_code == 200
    assert api.get("/api/v1/collections").status_code == 401


def _passages(api: Client) -> list[int]:
    reply = api.post(
        "/api/v1/search", data={"query": LEAVE_SENTENCE}, content_type="application/json"
    )
    assert reply.status_code == 200, reply.content
    return [p["document_id"] for p in reply.json()["passages"]]


@pytest.mark.django_db(transaction=True)
def test_group_membership_through_scim_decides_what_a_search_finds(scim, ingest_handbook):
    from webapp.knowledge.services import collection_create

    admin = User.objects.get(username="it-admin")
    maria = User.objects.create_user("maria", password=PASSWORD)
    created = scim.call(
        "post",
        "Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "hr", "members": [{"value": str(maria.pk)}]},
    )
    group_id = created.json()["id"]
    hr = Group.objects.get(pk=group_id)
    collection = collection_create(name="HR policies", group_ids=[hr.id], actor=admin)
    document = ingest_handbook(collection, admin)
    api = _api(make_token(maria, ["read"]))
    assert set(_passages(api)) == {document.id}

    remove = _patch({"op": "remove", "path": f'members[value eq "{maria.pk}"]'})
    assert scim.call("patch", f"Groups/{group_id}", remove).status_code == 204
    assert _passages(api) == []
    assert api.get(f"/api/v1/documents/{document.id}").status_code == 404

    add = _patch({"op": "add", "path": "members", "value": [{"value": str(maria.pk)}]})
    assert scim.call("patch", f"Groups/{group_id}", add).status_code == 204
    assert set(_passages(api)) == {document.id}

    assert scim.call("delete", f"Groups/{group_id}").status_code == 204
    assert _passages(api) == []
