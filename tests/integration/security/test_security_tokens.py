"""API tokens: a reactivated user's old tokens stay dead; unknown or invalid fields are errors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from webapp.accounts.models import ApiToken
from webapp.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _deactivate_and_reactivate_in_the_console(world, who: str) -> list[int]:
    console = world.session("sam")
    user_id = world.users[who].id
    return [
        console.post(f"/console/users/{user_id}/active", {"active": active}).status_code
        for active in ("0", "1")
    ]


def test_reactivating_a_user_does_not_revive_their_tokens(world):
    before = world.api("ann").get("/api/v1/collections").status_code

    statuses = _deactivate_and_reactivate_in_the_console(world, "ann")
    after = world.api("ann").get("/api/v1/collections")

    assert before == 200
    assert statuses == [302, 302]
    assert User.objects.get(id=world.users["ann"].id).is_active
    assert after.status_code == 401
    assert after.json()["code"] == "invalid_token"
    assert ApiToken.objects.get(id=world.token_rows["ann"].id).revoked_at is not None
    audit = AuditEvent.objects.filter(kind="token.revoke_all").get()
    assert (audit.actor_name, audit.detail) == (
        "system",
        {"user_id": world.users["ann"].id, "tokens": 1, "why": "deactivated"},
    )


def test_a_deactivation_saved_any_other_way_revokes_them_too(world):
    # Django's admin and single sign-on save the user model directly.
    ben = User.objects.get(id=world.users["ben"].id)
    ben.is_active = False
    ben.save()
    ben.is_active = True
    ben.save()

    assert world.api("ben").get("/api/v1/collections").status_code == 401
    assert world.api("ann").get("/api/v1/collections").status_code == 200


def test_other_saves_of_an_active_user_leave_the_tokens_alone(world):
    ann = User.objects.get(id=world.users["ann"].id)
    ann.email = "ann@example.com"
    ann.save()

    assert world.api("ann").get("/api/v1/collections").status_code == 200


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"expires_in_days": -1}, "expires_in_days: Unknown field."),
        ({"scope": "admin"}, "scope: Unknown field."),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "The expiry must be in the future."),
        ({"expires_at": "next week"}, "expires_at: Datetime has wrong format."),
        ({"rate_limit_per_minute": 0}, "rate_limit_per_minute:"),
    ],
)
def test_unknown_or_invalid_fields_in_a_token_request_are_a_400(world, extra, message):
    before = ApiToken.objects.count()

    response = world.api("ann").post(
        "/api/v1/tokens",
        data={"name": "ci", "scopes": ["read"], **extra},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["message"].startswith(message)
    assert ApiToken.objects.count() == before
