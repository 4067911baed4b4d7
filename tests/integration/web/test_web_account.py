"""Local accounts along the browser's path: own password change, the forced first change,
an admin's reset, deleting a user, and employees' own API tokens."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.web.conftest import PASSWORD
from webapp.accounts.models import ApiToken, PasswordChangeRequired
from webapp.accounts.passwords import first_admin_password_path
from webapp.accounts.services import token_authenticate, token_create
from webapp.audit.models import AuditEvent
from webapp.chat.models import Conversation, Feedback, Message
from webapp.config.settings import get_settings
from webapp.core.permissions import SYSTEM
from webapp.runtime import ensure_admin, save_admin_password

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern-orchard-river-42"


def _signed_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _change(client: Client, current: str, new: str, again: str | None = None):
    return client.post(
        "/account/password",
        {"current_password": current, "new_password": new, "new_password_again": again or new},
    )


def test_a_user_changes_their_password_and_other_browsers_are_signed_out(member):
    here, elsewhere = _signed_in("maria", PASSWORD), _signed_in("maria", PASSWORD)

    response = _change(here, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/account/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD) and not member.check_password(PASSWORD)
    assert here.get("/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/")["Location"].startswith("/login/")
    event = AuditEvent.objects.get(kind="user.password")
    assert (event.actor_name, event.detail) == ("maria", {"user_id": member.pk, "by": "self"})


@pytest.mark.parametrize(
    ("current", "new", "again", "error"),
    [
        ("wrong-password-1", NEW_PASSWORD, None, "The current password is not correct."),
        (PASSWORD, NEW_PASSWORD, "something-else-77", "The two new passwords differ."),
        (PASSWORD, "password123", None, "This password is too common."),
        (PASSWORD, PASSWORD, None, "The new password must differ from the current one."),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    client_as, member, current, new, again, error
):
    response = _change(client_as(member), current, new, again)

    assert response.status_code == 400
    assert error in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(kind="user.password").exists()


def test_the_refusal_is_in_portuguese_for_a_portuguese_browser(member):
    client = _signed_in("maria", PASSWORD)
    response = client.post(
        "/account/password",
        {
            "current_password": "wrong-password-1",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="pt",
    )
    assert "A senha atual não está correta." in response.content.decode()


def test_the_generated_first_admin_password_must_be_changed_at_first_sign_in():
    generated = ensure_admin()
    admin = User.objects.get(username=get_settings().admin_username)
    saved = save_admin_password(generated)
    assert PasswordChangeRequired.objects.get(user=admin).reason == "generated"

    client = _signed_in(admin.username, generated)
    for page in ("/", "/console/", "/account/"):
        assert client.get(page)["Location"] == "/account/password", page
    form = client.get("/account/password").content.decode()
    assert 'id="password-required"' in form
    assert client.post("/logout/").status_code == 302  # signing out stays possible

    client = _signed_in(admin.username, generated)
    assert _change(client, generated, NEW_PASSWORD).status_code == 302
    assert client.get("/console/").status_code == 200
    assert not saved.exists()
    assert not PasswordChangeRequired.objects.filter(user=admin).exists()
    assert _signed_in(admin.username, NEW_PASSWORD).get("/").status_code == 200


def test_an_admin_resets_a_password_the_user_is_signed_out_and_must_change_it(
    client_as, admin_user, member
):
    before = _signed_in("maria", PASSWORD)

    response = client_as(admin_user).post(
        f"/console/users/{member.pk}/password",
        {"password": "temporary-pass-phrase-5", "must_change": "on"},
    )

    assert response.status_code == 302
    assert before.get("/")["Location"].startswith("/login/")
    again = _signed_in("maria", "temporary-pass-phrase-5")
    assert again.get("/")["Location"] == "/account/password"
    assert _change(again, "temporary-pass-phrase-5", NEW_PASSWORD).status_code == 302
    assert again.get("/").status_code == 200
    events = AuditEvent.objects.filter(kind="user.password").order_by("id")
    assert [(e.actor_name, e.detail) for e in events] == [
        ("ada", {"user_id": member.pk, "by": "admin", "must_change": True}),
        ("maria", {"user_id": member.pk, "by": "self"}),
    ]
    assert not first_admin_password_path().exists()


def test_a_reset_needs_an_admin_a_good_password_and_someone_else(
    client_as, admin_user, member, outsider
):
    denied = client_as(member).post(
        f"/console/users/{outsider.pk}/password", {"password": "temporary-pass-phrase-5"}
    )
    weak = client_as(admin_user).post(f"/console/users/{member.pk}/password", {"password": "abc"})
    own = client_as(admin_user).post(
        f"/console/users/{admin_user.pk}/password", {"password": "temporary-pass-phrase-5"}
    )

    assert (denied.status_code, weak.status_code, own.status_code) == (404, 400, 400)
    assert "This password is too short." in weak.content.decode()
    assert "Change your own password on your account page." in own.content.decode()
    for user in (member, outsider, admin_user):
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(kind="user.password").exists()


def _conversation_with_feedback(user: User) -> Conversation:
    conversation = Conversation.objects.create(user=user, title="Leave")
    Message.objects.create(conversation=conversation, role="user", text="How many days?")
    answer = Message.objects.create(conversation=conversation, role="assistant", text="25 days.")
    Feedback.objects.create(message=answer, user=user, helpful=False, comment="wrong year")
    return conversation


def test_an_admin_deletes_a_user_after_a_confirmation_step(client_as, admin_user, member):
    signed_in = _signed_in("maria", PASSWORD)
    _conversation_with_feedback(member)
    _conversation_with_feedback(member)
    token, raw = token_create(user=member, name="script", scopes=["ask"], actor=SYSTEM)
    admin = client_as(admin_user)

    confirm = admin.get(f"/console/users/{member.pk}/delete").content.decode()
    assert "2 conversations are removed with their questions, answers and feedback." in confirm
    assert "1 active API token stops working." in confirm
    assert User.objects.filter(pk=member.pk).exists()  # asking is not deleting

    response = admin.post(f"/console/users/{member.pk}/delete")

    assert response.status_code == 302 and response["Location"] == "/console/users/"
    assert not User.objects.filter(username="maria").exists()
    assert (Conversation.objects.count(), Message.objects.count(), Feedback.objects.count()) == (
        0,
        0,
        0,
    )
    assert not ApiToken.objects.filter(id=token.id).exists()
    assert signed_in.get("/")["Location"].startswith("/login/")
    api = Client().get("/api/v1/collections", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 401
    event = AuditEvent.objects.get(kind="user.delete")
    assert (event.actor_name, event.detail) == (
        "ada",
        {"user_id": member.pk, "username": "maria", "conversations": 2, "tokens": 1},
    )


def test_nobody_deletes_themselves_and_members_cannot_delete_anyone(
    client_as, admin_user, member, outsider
):
    own = client_as(admin_user).post(f"/console/users/{admin_user.pk}/delete")
    denied = client_as(member).post(f"/console/users/{outsider.pk}/delete")

    assert (own.status_code, denied.status_code) == (302, 404)
    assert User.objects.filter(pk__in=[admin_user.pk, outsider.pk]).count() == 2
    assert not AuditEvent.objects.filter(kind="user.delete").exists()


def _api_status(secret: str) -> int:
    return Client().get("/api/v1/collections", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def _secret(response) -> str:
    return re.search(r'id="token-secret">([^<]+)<', response.content.decode()).group(1)


def test_an_employee_creates_a_read_and_ask_token_sees_it_once_and_revokes_it(client_as, member):
    client = client_as(member)
    page = client.get("/account/").content.decode()
    assert 'value="read"' in page and 'value="ask"' in page
    assert 'value="ingest"' not in page and 'value="admin"' not in page

    response = client.post(
        "/account/tokens/create", {"name": "my script", "scopes": ["read", "ask"]}
    )

    secret = _secret(response)
    token = token_authenticate(raw=secret)
    assert (token.user_id, token.name, token.scopes) == (member.pk, "my script", ["ask", "read"])
    assert _api_status(secret) == 200
    assert secret not in client.get("/account/").content.decode()  # shown once

    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert _api_status(secret) == 401
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", "actor_name"))
    assert kinds == [("token.create", "maria"), ("token.revoke", "maria")]


def test_an_employee_cannot_give_their_token_ingest_or_admin_nor_touch_anothers(
    client_as, member, outsider
):
    client = client_as(member)
    for scopes in (["ingest"], ["read", "admin"]):
        response = client.post("/account/tokens/create", {"name": "more", "scopes": scopes})
        assert response.status_code == 400
    theirs, _raw = token_create(user=outsider, name="otto's", scopes=["read"], actor=SYSTEM)

    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert not ApiToken.objects.filter(user=member).exists()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_staff_may_give_their_own_tokens_every_scope(client_as, admin_user):
    response = client_as(admin_user).post(
        "/account/tokens/create", {"name": "ops", "scopes": ["ingest", "admin"]}
    )
    assert token_authenticate(raw=_secret(response)).scopes == ["admin", "ingest"]
