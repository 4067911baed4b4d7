"""Sign-in, sign-out, the login wall and the health check."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.integration.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/", "/c/1/", "/console/", "/console/collections/1/", "/documents/1/download"],
)
def test_pages_redirect_anonymous_users_to_login(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_login_page_renders_a_labelled_form():
    response = Client().get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_login_with_the_right_password_opens_the_chat(member):
    client = Client()

    response = client.post("/login/", {"username": "maria", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error(member):
    response = Client().post("/login/", {"username": "maria", "password": "wrong"})

    assert response.status_code == 200
    assert 'class="form-error" role="alert"' in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_logout_needs_post_and_ends_the_session(client_as, member):
    client = client_as(member)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_a_session_cookie_replayed_after_logout_is_refused(client_as, member):
    # Sessions are read from the process's cache on the embedded defaults: the logout
    # must drop the cached copy too, not only the database row.
    client = client_as(member)
    assert client.get("/").status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie

    assert replay.get("/").status_code == 302


def test_healthz_answers_without_login():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
