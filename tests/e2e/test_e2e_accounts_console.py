"""Accounts and console screens in Chromium: the forced first password change, one's own
password change and API tokens, an admin's reset and deletion of a user, a user made by
SCIM, conversation channels in the sidebar and the audit log, renaming a document and a
collection and deleting a collection.

One ``enclave serve`` whose first admin password is generated (no
``ENCLAVE_ADMIN_PASSWORD``), as on a fresh installation. Each screen in English
and Portuguese; screenshots at desktop and phone widths land in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import DESKTOP, ask, login, shoot
from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

LOCALES = {"en": "en-US", "pt": "pt-BR"}
ADMIN_NEW_PASSWORD = "quiet-harbour-lantern-71"
WORDS = {
    "en": {
        "required": "Choose your own password",
        "revoke": "Revoke",
        "delete": "Delete user",
        "wrong": "The current password is not correct.",
        "changed": "Your password was changed.",
        "sso": "Signs in through single sign-on",
        "deactivated": "Deactivated",
    },
    "pt": {
        "required": "Escolha sua própria senha",
        "revoke": "Revogar",
        "delete": "Excluir usuário",
        "wrong": "A senha atual não está correta.",
        "changed": "Sua senha foi alterada.",
        "sso": "Entra por login único (SSO)",
        "deactivated": "Desativado",
    },
}
SCIM_JSON = "application/scim+json"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = process_env(tmp_path_factory.mktemp("accounts-home"))
    del env["ENCLAVE_ADMIN_PASSWORD"]  # generated, as on a fresh installation
    return env


@pytest.fixture(scope="module")
def server(env, tmp_path_factory):
    serve = ServeProcess(env, tmp_path_factory.mktemp("accounts-log") / "serve.log")
    serve.start()
    yield serve
    serve.stop()


def _page(browser, language):
    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[language])
    return context, context.new_page()


def _sign_in_to_password_page(page, url, username, password):
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/account/password$"))


def _change_password(page, current, new):
    page.fill("#id_current_password", current)
    page.fill("#id_new_password", new)
    page.fill("#id_new_password_again", new)
    with page.expect_navigation():
        page.locator("#password-form button[type=submit]").click()


def _user(env, name, password):
    made = run_cli(["user", name, "--password", password], env)
    assert made.returncode == 0, made.stdout + made.stderr


def test_the_generated_admin_password_is_replaced_at_first_sign_in(server, env, browser, artifacts):
    saved = Path(env["ENCLAVE_HOME"]) / "first-admin-password"
    generated = saved.read_text().strip()
    context, page = _page(browser, "en")
    _sign_in_to_password_page(page, server.url, "admin", generated)
    assert page.locator("#password-required").is_visible()
    page.goto(f"{server.url}/console/")  # every other page leads back here
    assert page.url.endswith("/account/password")
    shoot(page, artifacts, "account-forced-change-admin-en", shown="#password-required")

    _change_password(page, generated, ADMIN_NEW_PASSWORD)

    assert page.url.endswith("/account/")
    page.goto(f"{server.url}/console/")
    assert page.url.endswith("/console/")
    assert not saved.exists()
    context.close()


@pytest.mark.parametrize("language", ["en", "pt"])
def test_an_admin_resets_a_password_and_the_user_must_change_it(
    server, env, browser, artifacts, language
):
    name = f"reset-{language}"
    _user(env, name, "first-pass-phrase-11")
    context, page = _page(browser, language)
    login(page, server.url, "admin", ADMIN_NEW_PASSWORD)
    page.goto(f"{server.url}/console/users/")
    with page.expect_navigation():
        page.locator(f'tr[data-username="{name}"] a').first.click()
    page.fill("#id_password", "temporary-pass-phrase-5")
    assert page.locator("#id_must_change").is_checked()
    shoot(page, artifacts, f"console-user-password-{language}", shown="#user-password-form")
    with page.expect_navigation():
        page.locator("#user-password-form button[type=submit]").click()
    assert page.locator(".flash-success").count() == 1
    context.close()

    context, page = _page(browser, language)
    _sign_in_to_password_page(page, server.url, name, "temporary-pass-phrase-5")
    assert WORDS[language]["required"] in page.locator("#password-required").inner_text()
    shoot(page, artifacts, f"account-forced-change-{language}", shown="#password-form")
    _change_password(page, "temporary-pass-phrase-5", "my-own-pass-phrase-23")
    assert page.url.endswith("/account/")
    context.close()


@pytest.mark.parametrize("language", ["en", "pt"])
def test_an_employee_makes_a_token_revokes_it_and_changes_their_password(
    server, env, browser, artifacts, language
):
    name = f"tokens-{language}"
    _user(env, name, "first-pass-phrase-11")
    context, page = _page(browser, language)
    login(page, server.url, name, "first-pass-phrase-11")
    page.click("#account-link")  # the user's name in the top bar
    page.wait_for_url(re.compile(r"/account/$"))
    offered = page.eval_on_selector_all(
        "#own-token-create-form input[name=scopes]", "els => els.map(e => e.value)"
    )
    assert offered == ["read", "ask"]
    page.fill("#id_name", "my script")
    page.check("#own-token-create-form input[value=read]")
    page.check("#own-token-create-form input[value=ask]")
    with page.expect_navigation():
        page.locator("#own-token-create-form button[type=submit]").click()
    secret = page.locator("#token-secret").inner_text().strip()
    shoot(page, artifacts, f"account-token-created-{language}", shown="#token-secret")

    request = urllib.request.Request(
        f"{server.url}/api/v1/collections", headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200

    page.goto(f"{server.url}/account/")
    assert page.locator("#token-secret").count() == 0  # shown once
    row = page.locator("#own-tokens-table tr[data-token-id]").first
    assert row.locator(".token-revoke").inner_text().strip() == WORDS[language]["revoke"]
    with page.expect_navigation():
        row.locator(".token-revoke").click()
    assert page.locator('#own-tokens-table tr[data-active="false"]').count() == 1
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401

    # The same page leads to the password change: a wrong current one is refused.
    with page.expect_navigation():
        page.click("#password-link")
    _change_password(page, "not-my-pass-phrase-00", "my-own-pass-phrase-23")
    assert page.url.endswith("/account/password")
    assert WORDS[language]["wrong"] in page.locator("#password-form").inner_text()
    _change_password(page, "first-pass-phrase-11", "my-own-pass-phrase-23")
    assert page.url.endswith("/account/")
    assert page.locator(".flash-success").inner_text() == WORDS[language]["changed"]
    shoot(page, artifacts, f"account-password-changed-{language}", shown=".flash-success")
    context.close()


@pytest.mark.parametrize("language", ["en", "pt"])
def test_an_admin_deletes_a_user_after_confirming(server, env, browser, artifacts, language):
    name = f"leaver-{language}"
    _user(env, name, "first-pass-phrase-11")
    context, page = _page(browser, language)
    login(page, server.url, "admin", ADMIN_NEW_PASSWORD)
    page.goto(f"{server.url}/console/users/")
    with page.expect_navigation():
        page.locator(f'tr[data-username="{name}"] a').first.click()
    with page.expect_navigation():
        page.click("#user-delete-link")
    assert page.locator("#user-delete-effects li").count() == 4
    shoot(page, artifacts, f"console-user-delete-{language}", shown="#user-delete-form")
    button = page.locator("#user-delete-form button[type=submit]")
    assert button.inner_text().strip() == WORDS[language]["delete"]
    with page.expect_navigation():
        button.click()
    assert page.url.endswith("/console/users/")
    assert page.locator(f'tr[data-username="{name}"]').count() == 0
    context.close()


@pytest.mark.parametrize("language", ["en", "pt"])
def test_api_conversations_stay_out_of_the_sidebar_until_asked_for(
    server, env, browser, artifacts, language
):
    name = f"channels-{language}"
    _user(env, name, "first-pass-phrase-11")
    minted = run_cli(["token", "create", "--user", name, "--name", "script", "--scope", "ask"], env)
    assert minted.returncode == 0, minted.stdout + minted.stderr
    secret = re.search(r"enc_[\w-]+", minted.stdout).group(0)
    body = json.dumps({"question": "Asked from a script?", "stream": False}).encode()
    request = urllib.request.Request(
        f"{server.url}/api/v1/ask",
        data=body,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200
    context, page = _page(browser, language)
    login(page, server.url, name, "first-pass-phrase-11")
    ask(page, "Asked in the browser?")
    page.goto(f"{server.url}/")
    titles = page.locator("#conversation-list li[data-channel]")
    assert titles.count() == 1 and titles.first.get_attribute("data-channel") == "web"

    with page.expect_navigation():
        page.locator("#channel-filter a").click()
    channels = page.eval_on_selector_all(
        "#conversation-list li[data-channel]", "els => els.map(e => e.dataset.channel)"
    )
    assert channels == ["web", "api"]
    assert (
        page.locator('#conversation-list li[data-channel="api"] .channel-tag').inner_text() == "API"
    )
    shoot(page, artifacts, f"chat-sidebar-channels-{language}", shown="#question")
    context.close()

    context, page = _page(browser, language)
    login(page, server.url, "admin", ADMIN_NEW_PASSWORD)
    page.goto(f"{server.url}/console/audit/?kind=ask&user={name}")
    shown = page.eval_on_selector_all(
        "#audit-table .channel-tag", "els => els.map(e => e.dataset.channel)"
    )
    assert shown == ["web", "api"]
    shoot(page, artifacts, f"console-audit-channels-{language}", shown="#audit-table")
    context.close()


def _search_titles(url, secret, query):
    request = urllib.request.Request(
        f"{url}/api/v1/search",
        data=json.dumps({"query": query}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return {p["title"] for p in json.loads(response.read())["passages"]}


@pytest.mark.parametrize("language", ["en", "pt"])
def test_an_admin_renames_a_document_and_a_collection_then_deletes_it(
    server, env, browser, artifacts, tmp_path, language
):
    name = f"Notes {language}"
    note = tmp_path / f"canteen-{language}.txt"
    note.write_text(f"The canteen ({language}) opens at seven o'clock every weekday.\n")
    ingested = run_cli(["ingest", str(note), "--collection", name], env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    minted = run_cli(
        ["token", "create", "--user", "admin", "--name", f"search-{language}", "--scope", "read"],
        env,
    )
    secret = re.search(r"enc_[\w-]+", minted.stdout).group(0)
    query = f"When does the canteen ({language}) open?"
    before = _search_titles(server.url, secret, query)
    assert len(before) == 1 and "Canteen hours" not in before  # the file's own title

    context, page = _page(browser, language)
    login(page, server.url, "admin", ADMIN_NEW_PASSWORD)
    page.goto(f"{server.url}/console/")
    with page.expect_navigation():
        page.get_by_role("link", name=name).first.click()
    row = page.locator("tr[data-document-id]").first
    row.locator(".doc-rename summary").click()
    row.locator(".doc-rename-form input[name=title]").fill("Canteen hours")
    shoot(page, artifacts, f"console-document-rename-{language}", shown=".doc-rename-form")
    with page.expect_navigation():
        row.locator(".doc-rename-form button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('tr[data-document-id]').dataset.status === 'indexed'",
        timeout=120_000,
    )
    assert page.locator("tr[data-document-id] .doc-title").inner_text() == "Canteen hours"
    # The passages carry the new title once the queued re-index is done.
    assert _search_titles(server.url, secret, query) == {"Canteen hours"}

    page.locator("#collection-rename summary").click()
    page.fill("#collection-new-name", f"Canteen {language}")
    with page.expect_navigation():
        page.locator("#collection-rename-form button[type=submit]").click()
    assert page.locator("h1").inner_text() == f"Canteen {language}"
    shoot(page, artifacts, f"console-collection-renamed-{language}", shown=".flash-success")

    with page.expect_navigation():
        page.click("#collection-delete-link")
    assert page.locator("#collection-delete-effects li").count() == 3
    shoot(page, artifacts, f"console-collection-delete-{language}", shown="#collection-delete-form")
    with page.expect_navigation():
        page.locator("#collection-delete-form button[type=submit]").click()
    assert page.url.endswith("/console/")
    assert page.get_by_role("link", name=f"Canteen {language}").count() == 0
    assert _search_titles(server.url, secret, query) == set()
    context.close()


def _scim(url, secret, method, path, body):
    request = urllib.request.Request(
        f"{url}/scim/v2/{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": SCIM_JSON},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


@pytest.mark.parametrize("language", ["en", "pt"])
def test_a_user_provisioned_by_scim_shows_in_the_console(server, browser, artifacts, language):
    name, group = f"idp-user-{language}", f"idp-group-{language}"
    context, page = _page(browser, language)
    login(page, server.url, "admin", ADMIN_NEW_PASSWORD)
    page.goto(f"{server.url}/account/")  # an admin's own page offers the scim scope
    page.fill("#id_name", f"identity provider {language}")
    page.check("#own-token-create-form input[value=scim]")
    with page.expect_navigation():
        page.locator("#own-token-create-form button[type=submit]").click()
    secret = page.locator("#token-secret").inner_text().strip()
    user = _scim(
        server.url,
        secret,
        "POST",
        "Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name},
    )
    _scim(
        server.url,
        secret,
        "POST",
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": group,
            "members": [{"value": user["id"]}],
        },
    )

    page.goto(f"{server.url}/console/users/")
    row = page.locator(f'tr[data-username="{name}"]')
    assert row.locator(".user-groups .tag").all_inner_texts() == [group]
    with page.expect_navigation():
        row.locator("a").click()
    assert WORDS[language]["sso"] in page.locator(".page-header").inner_text()
    assert page.locator("#user-password-form").count() == 0  # the provider owns it
    shoot(page, artifacts, f"console-user-scim-{language}", shown="#user-groups-form")

    deactivate = {"op": "replace", "path": "active", "value": False}
    _scim(
        server.url,
        secret,
        "PATCH",
        f"Users/{user['id']}",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [deactivate]},
    )
    page.goto(f"{server.url}/console/users/")
    assert row.locator(".badge").inner_text() == WORDS[language]["deactivated"]
    context.close()
