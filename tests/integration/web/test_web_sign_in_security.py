"""Session security: login lockout, CSRF on the login form, secure cookies behind HTTPS."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from tests.integration.web.conftest import PASSWORD
from webapp.config.settings import EnclaveSettings
from webapp.sso.django_config import sso_django_settings
from webapp.sso.models import LoginFailure

pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str = "maria", address: str = "10.0.0.7"):
    return client.post("/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=address)


def test_five_failures_lock_the_username_at_that_address_with_429(member):
    client = Client()

    statuses = [_fail(client).status_code for _ in range(5)]
    locked = client.post(
        "/login/", {"username": "maria", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )

    assert statuses == [200] * 5
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(member, outsider):
    client = Client()
    for _ in range(5):
        _fail(client)

    other_address = client.post(
        "/login/", {"username": "maria", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8"
    )
    other_user = Client().post(
        "/login/", {"username": "otto", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )

    assert other_address.status_code == 302
    assert other_user.status_code == 302


def test_the_lockout_ends_after_the_window(member):
    client = Client()
    for _ in range(5):
        _fail(client)
    later = timezone.now() + timedelta(minutes=16)

    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.post(
            "/login/", {"username": "maria", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
        )

    assert response.status_code == 302
    assert LoginFailure.objects.count() == 0


def test_a_successful_sign_in_clears_earlier_failures(member):
    client = Client()
    for _ in range(4):
        _fail(client)

    client.post("/login/", {"username": "maria", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")

    assert LoginFailure.objects.count() == 0


def test_the_login_form_needs_its_csrf_token(member):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "maria", "password": PASSWORD})

    assert response.status_code == 403


def test_cookies_are_secure_when_served_over_https():
    secure = sso_django_settings(EnclaveSettings(secure_cookies=True))
    plain = sso_django_settings(EnclaveSettings())

    assert (secure["SESSION_COOKIE_SECURE"], secure["CSRF_COOKIE_SECURE"]) == (True, True)
    assert secure["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert (plain["SESSION_COOKIE_SECURE"], plain["CSRF_COOKIE_SECURE"]) == (False, False)
    assert plain["AUTHENTICATION_BACKENDS"] == ["django.contrib.auth.backends.ModelBackend"]
