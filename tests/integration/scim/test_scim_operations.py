"""Each SCIM operation through the Django test client, as an identity provider sends it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from tests.integration.scim.conftest import PASSWORD, ScimClient, make_token
from webapp.accounts.models import ApiToken
from webapp.accounts.services import token_create
from webapp.audit.models import AuditEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def _user(user_name: str, **extra) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **extra}


def _patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def test_discovery_documents(scim):
    config = scim.call("get", "ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["bulk"]["supported"] is False
    assert config["changePassword"] == {"supported": False}
    types = scim.call("get", "ResourceTypes").json()
    assert sorted(r["endpoint"] for r in types["Resources"]) == ["/Groups", "/Users"]
    schemas = scim.call("get", "Schemas").json()
    assert sorted(s["id"] for s in schemas["Resources"]) == [GROUP_SCHEMA, USER_SCHEMA]
    assert scim.call("get", f"Schemas/{USER_SCHEMA}").json()["name"] == "User"


def test_create_read_filter_replace_and_delete_a_user(scim, scim_admin):
    created = scim.call(
        "post",
        "Users",
        _user(
            "jdoe@example.com",
            externalId="00u1",
            name={"givenName": "Jane", "familyName": "Doe"},
            emails=[{"value": "jane@example.com", "primary": True}],
            password="ignored-Password-1",
        ),
    )
    assert created.status_code == 201, created.content
    body = created.json()
    user = User.objects.get(username="jdoe@example.com")
    assert body["id"] == str(user.pk) and body["active"] is True
    assert body["meta"]["location"] == f"http://testserver/scim/v2/Users/{user.pk}"
    assert (user.first_name, user.last_name, user.email) == ("Jane", "Doe", "jane@example.com")
    assert not user.has_usable_password()  # sign-in through single sign-on only
    assert "password" not in body

    again = scim.call("post", "Users", _user("JDOE@example.com"))
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

    found = scim.call("get", "Users", filter='userName eq "JDoe@Example.com"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["externalId"] == "00u1"
    assert scim.call("get", "Users", filter='userName eq "nobody"').json()["totalResults"] == 0
    everyone = scim.call("get", "Users").json()
    assert [r["userName"] for r in everyone["Resources"]] == ["it-admin", "jdoe@example.com"]

    read = scim.call("get", f"Users/{user.pk}").json()
    assert read["name"] == {"givenName": "Jane", "familyName": "Doe"}
    replaced = scim.call("put", f"Users/{user.pk}", _user("jane.doe", displayName="Jane D."))
    assert replaced.status_code == 200, replaced.content
    user.refresh_from_db()
    assert (user.username, user.email, user.first_name) == ("jane.doe", "", "")
    assert replaced.json()["displayName"] == "Jane D."

    assert scim.call("delete", f"Users/{user.pk}").status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    missing = scim.call("get", f"Users/{user.pk}")
    assert missing.status_code == 404 and missing.json()["schemas"] == [ERROR_SCHEMA]
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", "actor_name"))
    assert kinds[-3:] == [
        ("user.create", "it-admin"),
        ("user.update", "it-admin"),
        ("user.delete", "it-admin"),
    ]


def test_patch_active_false_then_true(scim):
    user = User.objects.create_user("sam", password=PASSWORD)
    off = _patch({"op": "replace", "path": "active", "value": False})
    # 204 without a body unless the request asks for attributes (RFC 7644 §3.5.2).
    assert scim.call("patch", f"Users/{user.pk}", off).status_code == 204
    user.refresh_from_db()
    assert user.is_active is False
    assert scim.call("get", f"Users/{user.pk}").json()["active"] is False
    on = _patch({"op": "replace", "value": {"active": True}})
    assert scim.call("patch", f"Users/{user.pk}?attributes=active", on).json()["active"] is True
    actives = AuditEvent.objects.filter(kind="user.active").order_by("id")
    assert [(e.detail["active"], e.detail["via"]) for e in actives] == [
        (False, "scim"),
        (True, "scim"),
    ]


def test_groups_and_membership(scim):
    ann = User.objects.create_user("ann", password=PASSWORD)
    ben = User.objects.create_user("ben", password=PASSWORD)
    created = scim.call(
        "post",
        "Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Legal", "members": [{"value": str(ann.pk)}]},
    )
    assert created.status_code == 201, created.content
    group = Group.objects.get(name="Legal")
    assert list(group.user_set.values_list("username", flat=True)) == ["ann"]
    gid = created.json()["id"]
    assert gid == str(group.pk)
    assert scim.call("get", f"Users/{ann.pk}").json()["groups"] == [
        {"value": gid, "$ref": f"http://testserver/scim/v2/Groups/{gid}", "display": "Legal"}
    ]

    add = _patch({"op": "add", "path": "members", "value": [{"value": str(ben.pk)}]})
    assert scim.call("patch", f"Groups/{gid}", add).status_code == 204
    assert sorted(group.user_set.values_list("username", flat=True)) == ["ann", "ben"]
    remove = _patch({"op": "remove", "path": f'members[value eq "{ann.pk}"]'})
    assert scim.call("patch", f"Groups/{gid}", remove).status_code == 204
    assert list(group.user_set.values_list("username", flat=True)) == ["ben"]

    by_name = scim.call("get", "Groups", filter='displayName eq "legal"').json()
    assert [g["id"] for g in by_name["Resources"]] == [gid]
    renamed = scim.call("put", f"Groups/{gid}", {"schemas": [GROUP_SCHEMA], "displayName": "Law"})
    assert renamed.json()["displayName"] == "Law" and "members" not in renamed.json()
    assert group.user_set.count() == 0

    bad = _patch({"op": "add", "path": "members", "value": [{"value": "999999"}]})
    assert scim.call("patch", f"Groups/{gid}", bad).status_code == 400
    assert scim.call("delete", f"Groups/{gid}").status_code == 204
    assert not Group.objects.filter(pk=group.pk).exists()
    members = AuditEvent.objects.filter(kind="group.members").order_by("id")
    assert [(e.detail["added"], e.detail["removed"]) for e in members] == [
        ([ann.pk], []),
        ([ben.pk], []),
        ([], [ann.pk]),
        ([], [ben.pk]),
    ]
    assert AuditEvent.objects.filter(kind="group.delete").count() == 1


def test_staff_accounts_are_read_only(scim, scim_admin):
    path = f"Users/{scim_admin.pk}"
    assert scim.call("get", path).json()["userName"] == "it-admin"
    off = _patch({"op": "replace", "path": "active", "value": False})
    refused = scim.call("patch", path, off)
    assert refused.status_code == 403 and refused.json()["schemas"] == [ERROR_SCHEMA]
    assert scim.call("delete", path).status_code == 403
    scim_admin.refresh_from_db()
    assert scim_admin.is_active is True


def test_only_a_token_with_the_scim_scope_gets_in(scim_admin):
    assert Client().get("/scim/v2/Users").status_code == 401
    read_only = ScimClient(make_token(scim_admin, ["read"]))
    refused = read_only.call("get", "Users")
    assert refused.status_code == 403 and "scim" in refused.json()["detail"]
    assert ScimClient("enc_not-a-token").call("get", "Users").status_code == 401
    # A signed-in admin's session is no credential here, and needs no CSRF token to be refused.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(scim_admin)
    assert browser.get("/scim/v2/Users").status_code == 401
    assert (
        browser.post("/scim/v2/Users", data="{}", content_type="application/json").status_code
        == 401
    )


def test_the_scim_scope_is_for_staff_users_only(db):
    from webapp.core.errors import ValidationError

    employee = User.objects.create_user("emp", password=PASSWORD)
    with pytest.raises(ValidationError, match="scim scope is only for staff"):
        make_token(employee, ["scim"])


def test_a_demoted_users_token_and_the_rate_limit(scim_admin):
    cache.clear()  # token ids come back after a rolled-back test; their counts must not
    token = token_create(
        user=scim_admin, name="idp", scopes=["scim"], actor=scim_admin, rate_limit_per_minute=2
    )[1]
    idp = ScimClient(token)
    assert [idp.call("get", "Groups").status_code for _ in range(2)] == [200, 200]
    over = idp.call("get", "Groups")
    assert over.status_code == 429 and int(over["Retry-After"]) >= 1
    assert over.json()["schemas"] == [ERROR_SCHEMA]

    scim_admin.is_staff = False
    scim_admin.save(update_fields=["is_staff"])
    demoted = ScimClient(make_token(scim_admin, ["read"]))  # a fresh limit; the scope is missing
    assert demoted.call("get", "Users").status_code == 403
    ApiToken.objects.filter(name="idp").update(rate_limit_per_minute=600)
    refused = ScimClient(token).call("get", "Users")
    assert refused.status_code == 403 and "staff user" in refused.json()["detail"]
