"""LDAP sign-in through the ordinary login form, against slapd from Debian on 127.0.0.1."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.sso.conftest import ADMIN_DN, ADMIN_PASSWORD, BASE_DN, apply_sign_in_settings

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def ldap_on(settings, slapd):
    apply_sign_in_settings(
        settings,
        ldap_server_uri=slapd.uri,
        ldap_bind_dn=ADMIN_DN,
        ldap_bind_password=ADMIN_PASSWORD,
        ldap_user_search_base=f"ou=people,{BASE_DN}",
        ldap_group_search_base=f"ou=groups,{BASE_DN}",
        ldap_group_type="groupOfNames",
        ldap_group_map={"HR Department": "hr", "Directory Admins": "it"},
        ldap_admin_groups=["Directory Admins"],
    )


def test_a_directory_user_signs_in_with_mapped_groups(ldap_on):
    client = Client()

    response = client.post("/login/", {"username": "lena", "password": "lena-directory-pw"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    lena = User.objects.get(username="lena")
    assert (lena.email, lena.first_name, lena.last_name) == ("lena@example.org", "Lena", "Lopes")
    assert lena.is_staff is False
    assert not lena.has_usable_password()
    # "Canteen" is not mapped: only mapped groups count.
    assert list(lena.groups.values_list("name", flat=True)) == ["hr"]
    assert client.get("/").status_code == 200


def test_directory_admins_become_enclave_admins(ldap_on):
    client = Client()

    client.post("/login/", {"username": "ivan", "password": "ivan-directory-pw"})

    ivan = User.objects.get(username="ivan")
    assert ivan.is_staff is True
    assert list(ivan.groups.values_list("name", flat=True)) == ["it"]
    assert client.get("/console/").status_code == 200


def test_a_wrong_directory_password_is_refused(ldap_on):
    response = Client().post("/login/", {"username": "lena", "password": "not-it"})

    assert response.status_code == 200
    assert 'class="form-error" role="alert"' in response.content.decode()
    assert not User.objects.filter(username="lena").exists()


def test_local_accounts_still_sign_in_next_to_ldap(ldap_on):
    User.objects.create_user("local-admin", password="local-passphrase-9", is_staff=True)

    response = Client().post(
        "/login/", {"username": "local-admin", "password": "local-passphrase-9"}
    )

    assert response.status_code == 302
