"""The console's API tokens page: create for a user (shown once), list, revoke; admins only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from webapp.accounts.models import ApiToken
from webapp.accounts.services import token_authenticate
from webapp.core.errors import NotFoundError
from webapp.core.permissions import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_user("root", password="x", is_staff=True)
    client.force_login(admin)
    return client


def test_admin_creates_a_token_for_a_service_account_and_sees_it_once(admin_client):
    robot = User.objects.create_user("search-bot", password="x")
    response = admin_client.post(
        reverse("console-token-create"),
        {
            "user": robot.id,
            "name": "intranet search",
            "scopes": ["read", "ask"],
            "expires_in_days": 30,
        },
    )
    assert response.status_code == 200
    secret = re.search(r'id="token-secret">([^<]+)<', response.content.decode()).group(1)
    token = token_authenticate(raw=secret)
    assert (token.user_id, token.name, sorted(token.scopes)) == (
        robot.id,
        "intranet search",
        ["ask", "read"],
    )
    assert token.expires_at is not None
    listing = admin_client.get(reverse("console-tokens")).content.decode()
    assert "intranet search" in listing and secret not in listing


def test_the_admin_scope_is_refused_for_a_non_staff_user(admin_client):
    robot = User.objects.create_user("bot", password="x")
    response = admin_client.post(
        reverse("console-token-create"), {"user": robot.id, "name": "x", "scopes": ["admin"]}
    )
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_revoke_takes_effect_at_once(admin_client):
    from webapp.accounts.services import token_create

    robot = User.objects.create_user("bot", password="x")
    token, secret = token_create(user=robot, name="t", scopes=["read"], actor=SYSTEM)
    response = admin_client.post(reverse("console-token-revoke", args=[token.id]))
    assert response.status_code == 302
    with pytest.raises(NotFoundError):
        token_authenticate(raw=secret)


def test_non_staff_get_404_and_nothing_happens(client):
    user = User.objects.create_user("alice", password="x")
    client.force_login(user)
    assert client.get(reverse("console-tokens")).status_code == 404
    response = client.post(
        reverse("console-token-create"), {"user": user.id, "name": "t", "scopes": ["read"]}
    )
    assert response.status_code == 404
    assert ApiToken.objects.count() == 0
