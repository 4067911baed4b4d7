"""An admin with a ``scim`` token and a Django test client that speaks SCIM with it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from webapp.accounts.services import token_create

SCIM_JSON = "application/scim+json"
PASSWORD = "correct-horse-battery-staple"


class ScimClient:
    """JSON in and out of ``/scim/v2`` with a bearer token, as an identity provider sends it."""

    def __init__(self, token: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def call(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        send = getattr(self.client, method)
        url = f"/scim/v2/{path}"
        if body is None:
            return send(url, data=query or None)
        return send(url, data=json.dumps(body), content_type=SCIM_JSON)


def make_token(user: User, scopes: list[str]) -> str:
    """A fresh token secret for ``user``."""
    return token_create(user=user, name="idp", scopes=scopes, actor=user)[1]


@pytest.fixture
def scim_admin(db) -> User:
    return User.objects.create_user("it-admin", password=PASSWORD, is_staff=True)


@pytest.fixture
def scim(scim_admin) -> ScimClient:
    return ScimClient(make_token(scim_admin, ["scim"]))
