"""OpenID Connect sign-in against a real provider process on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.integration.sso.conftest import CLIENT_ID, CLIENT_SECRET, apply_sign_in_settings

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def oidc_on(settings, oidc_provider):
    url = oidc_provider.url
    apply_sign_in_settings(
        settings,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_authorization_endpoint=f"{url}/authorize",
        oidc_token_endpoint=f"{url}/token",
        oidc_userinfo_endpoint=f"{url}/userinfo",
        oidc_jwks_endpoint=f"{url}/jwks",
        oidc_group_map={"hr-staff": "hr", "it-admins": "it"},
        oidc_admin_groups=["it-admins"],
        oidc_button_label="Sign in with Example ID",
    )
    return url


def _sign_in(client: Client, username: str, password: str) -> httpx.Response:
    """The browser's part of the code flow: Enclave -> provider login -> back to Enclave."""
    start = client.get("/oidc/authenticate/", {"next": "/"})
    assert start.status_code == 302
    answer = httpx.post(
        start["Location"], data={"username": username, "password": password}, timeout=10
    )
    assert answer.status_code == 302, answer.text
    return answer


def _finish(client: Client, answer: httpx.Response):
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(back.path, parse_qs(back.query))


def test_login_page_offers_single_sign_on_when_configured(oidc_on):
    html = Client().get("/login/").content.decode()

    assert 'id="sso-button" href="/oidc/authenticate/"' in html
    assert "Sign in with Example ID" in html


def test_sso_entry_points_are_404_when_oidc_is_off(db):
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert 'id="sso-button"' not in Client().get("/login/").content.decode()


def test_first_sign_in_creates_the_user_with_mapped_groups(oidc_on):
    client = Client()
    start = client.get("/oidc/authenticate/", {"next": "/"})
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert "nonce" in query and "state" in query

    answer = httpx.post(
        start["Location"], data={"username": "olivia", "password": "secret-olivia"}, timeout=10
    )
    done = _finish(client, answer)

    assert done.status_code == 302
    assert done["Location"] == "/"
    olivia = User.objects.get(username="olivia")
    assert (olivia.email, olivia.first_name, olivia.is_staff) == (
        "olivia@example.com",
        "Olivia",
        False,
    )
    assert not olivia.has_usable_password()
    # "everyone" is not in the map: a map is an allow-list.
    assert list(olivia.groups.values_list("name", flat=True)) == ["hr"]
    page = client.get("/")
    assert page.status_code == 200
    assert page.context["user"].username == "olivia"


def test_admin_group_at_the_provider_makes_an_enclave_admin(oidc_on):
    client = Client()

    _finish(client, _sign_in(client, "paul", "secret-paul"))

    paul = User.objects.get(username="paul")
    assert paul.is_staff is True
    assert list(paul.groups.values_list("name", flat=True)) == ["it"]
    assert client.get("/console/").status_code == 200


def test_groups_follow_the_provider_at_each_sign_in(oidc_on):
    olivia = User.objects.create_user("olivia")
    olivia.groups.add(Group.objects.create(name="finance"))
    client = Client()

    _finish(client, _sign_in(client, "olivia", "secret-olivia"))

    assert list(User.objects.get(username="olivia").groups.values_list("name", flat=True)) == ["hr"]


def test_a_wrong_password_at_the_provider_signs_nobody_in(oidc_on):
    client = Client()
    start = client.get("/oidc/authenticate/")

    answer = httpx.post(
        start["Location"], data={"username": "olivia", "password": "wrong"}, timeout=10
    )

    assert "error=access_denied" in answer.headers["Location"]
    failed = _finish(client, answer)
    assert failed.status_code == 302
    assert failed["Location"] == "/login/?sso=failed"
    assert not User.objects.filter(username="olivia").exists()
    assert client.get("/").status_code == 302


def test_a_forged_state_is_refused(oidc_on):
    client = Client()
    answer = _sign_in(client, "olivia", "secret-olivia")
    back = urlsplit(answer.headers["Location"])
    params = parse_qs(back.query)
    params["state"] = ["forged"]

    response = Client().get(back.path, params)

    assert response.status_code in (302, 400)
    assert not User.objects.filter(username="olivia").exists()
