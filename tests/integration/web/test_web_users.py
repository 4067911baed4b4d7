"""The console's users and groups page, and per-document readers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from tests.integration.web.conftest import PASSWORD
from webapp.audit.models import AuditEvent
from webapp.knowledge.selectors import search_scope_for

pytestmark = pytest.mark.django_db


def test_non_staff_cannot_see_or_change_users_and_nothing_happens(client_as, member, hr_group):
    client = client_as(member)

    assert client.get("/console/users/").status_code == 404
    assert client.get(f"/console/users/{member.pk}/").status_code == 404
    created = client.post(
        "/console/users/new", {"username": "eve", "password": "a-long-passphrase-42"}
    )
    promoted = client.post(f"/console/users/{member.pk}/", {"admin": "on"})
    assert (created.status_code, promoted.status_code) == (404, 404)
    assert client.post("/console/groups/new", {"name": "root"}).status_code == 404
    assert not User.objects.filter(username="eve").exists()
    assert not Group.objects.filter(name="root").exists()
    member.refresh_from_db()
    assert member.is_staff is False
    assert AuditEvent.objects.count() == 0


def test_users_page_lists_users_with_their_groups(client_as, admin_user, member, outsider):
    html = client_as(admin_user).get("/console/users/").content.decode()

    assert f'<tr data-user-id="{member.pk}" data-username="maria">' in html
    row = html.split('data-username="maria">')[1].split("</tr>")[0]
    assert '<span class="tag">hr</span>' in row
    assert "finance" not in row


def test_admin_creates_a_user_with_groups(client_as, admin_user, hr_group, finance_group):
    response = client_as(admin_user).post(
        "/console/users/new",
        {
            "username": "carla",
            "email": "carla@example.com",
            "password": "plum-orchard-1987",
            "groups": [hr_group.id],
        },
    )

    assert response.status_code == 302
    carla = User.objects.get(username="carla")
    assert carla.check_password("plum-orchard-1987")
    assert (carla.email, carla.is_staff) == ("carla@example.com", False)
    assert list(carla.groups.values_list("name", flat=True)) == ["hr"]
    event = AuditEvent.objects.get(kind="user.create")
    assert event.detail == {
        "user_id": carla.pk,
        "username": "carla",
        "admin": False,
        "group_ids": [hr_group.id],
    }


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
    ],
)
def test_weak_passwords_are_refused(client_as, admin_user, password, message):
    response = client_as(admin_user).post(
        "/console/users/new", {"username": "dave", "password": password}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


def test_duplicate_username_is_refused(client_as, admin_user, member):
    response = client_as(admin_user).post(
        "/console/users/new", {"username": "Maria", "password": "plum-orchard-1987"}
    )

    assert response.status_code == 400
    assert "A user named &#x27;Maria&#x27; already exists." in response.content.decode()
    assert User.objects.filter(username__iexact="maria").count() == 1


def test_removing_a_group_takes_access_away_at_once(client_as, admin_user, member, hr_group):
    assert search_scope_for(user=member, collection_ids=None).group_ids == [hr_group.id]

    response = client_as(admin_user).post(f"/console/users/{member.pk}/", {"groups": []})

    assert response.status_code == 302
    again = User.objects.get(pk=member.pk)
    assert search_scope_for(user=again, collection_ids=None).group_ids == []
    assert AuditEvent.objects.get(kind="user.groups").detail == {
        "user_id": member.pk,
        "admin": False,
        "group_ids": [],
    }


def test_an_admin_cannot_demote_or_deactivate_themselves(client_as, admin_user):
    client = client_as(admin_user)

    demoted = client.post(f"/console/users/{admin_user.pk}/", {"groups": []})
    client.post(f"/console/users/{admin_user.pk}/active", {"active": "0"})

    assert demoted.status_code == 400
    assert "You cannot remove your own administrator rights." in demoted.content.decode()
    admin_user.refresh_from_db()
    assert (admin_user.is_staff, admin_user.is_active) == (True, True)


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client_as, admin_user, member):
    signed_in = client_as(member)

    response = client_as(admin_user).post(f"/console/users/{member.pk}/active", {"active": "0"})

    assert response.status_code == 302
    assert signed_in.get("/").status_code == 302
    login = signed_in.post("/login/", {"username": "maria", "password": PASSWORD})
    assert login.status_code == 200
    assert AuditEvent.objects.get(kind="user.active").detail == {
        "user_id": member.pk,
        "active": False,
    }


def test_admin_creates_a_group_once(client_as, admin_user):
    client = client_as(admin_user)

    first = client.post("/console/groups/new", {"name": " legal  team "})
    second = client.post("/console/groups/new", {"name": "Legal Team"})

    assert first.status_code == 302
    assert second.status_code == 400
    assert list(Group.objects.values_list("name", flat=True)) == ["legal team"]
