"""The token services on the real database: hashing, expiry, revocation, who may mint what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from webapp.accounts.models import ApiToken
from webapp.accounts.services import token_authenticate, token_create, token_hash, token_revoke
from webapp.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from webapp.core.permissions import SYSTEM

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def people():
    return {
        "carol": User.objects.create_user("carol", password="x"),
        "dave": User.objects.create_user("dave", password="x"),
        "admin": User.objects.create_user("boss", password="x", is_staff=True),
    }


def test_only_the_hash_is_stored_and_the_secret_authenticates(people):
    token, secret = token_create(
        user=people["carol"], name="ci", scopes=["read", "ask"], actor=people["carol"]
    )
    row = ApiToken.objects.get(id=token.id)
    assert row.key_hash == token_hash(secret) and secret not in str(row.__dict__)
    assert row.scopes == ["ask", "read"] and secret.startswith(row.prefix)
    assert token_authenticate(raw=secret).user == people["carol"]
    assert ApiToken.objects.get(id=token.id).last_used_at is not None


def test_expired_revoked_and_inactive_tokens_fail(people):
    token, secret = token_create(
        user=people["carol"],
        name="short",
        scopes=["read"],
        actor=SYSTEM,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    ApiToken.objects.filter(id=token.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotFoundError):
        token_authenticate(raw=secret)

    token, secret = token_create(user=people["carol"], name="r", scopes=["read"], actor=SYSTEM)
    token_revoke(token=token, actor=people["carol"])
    with pytest.raises(NotFoundError):
        token_authenticate(raw=secret)

    token, secret = token_create(user=people["dave"], name="d", scopes=["read"], actor=SYSTEM)
    User.objects.filter(id=people["dave"].id).update(is_active=False)
    with pytest.raises(NotFoundError):
        token_authenticate(raw=secret)


def test_who_may_mint_and_revoke_what(people):
    with pytest.raises(PermissionDeniedError):
        token_create(user=people["dave"], name="x", scopes=["read"], actor=people["carol"])
    with pytest.raises(ValidationError):
        token_create(user=people["carol"], name="x", scopes=["admin"], actor=people["admin"])
    with pytest.raises(ValidationError):
        token_create(user=people["carol"], name="x", scopes=["root"], actor=people["carol"])
    service, _ = token_create(
        user=people["dave"], name="svc", scopes=["ask"], actor=people["admin"]
    )
    assert service.created_by == people["admin"]
    with pytest.raises(PermissionDeniedError):
        token_revoke(token=service, actor=people["carol"])
    assert ApiToken.objects.get(id=service.id).revoked_at is None
