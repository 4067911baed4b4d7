"""English and Portuguese UI text: the browser's language, or the switch in the top bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

import webapp

pytestmark = pytest.mark.django_db

LOCALE = Path(webapp.__file__).parent / "locale" / "pt" / "LC_MESSAGES"


def test_the_compiled_catalogue_is_committed_next_to_its_source():
    # A fresh clone needs no gettext tools: the .mo travels with the .po.
    assert (LOCALE / "django.po").is_file()
    assert (LOCALE / "django.mo").is_file()
    assert (LOCALE / "django.mo").stat().st_mtime >= (LOCALE / "django.po").stat().st_mtime - 5


def test_portuguese_browsers_get_portuguese_text(client_as, member):
    client = client_as(member)

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9,en;q=0.5").content.decode()

    assert '<html lang="pt">' in html
    assert "Nova conversa" in html
    assert 'placeholder="Faça uma pergunta…"' in html
    assert '<span data-key="stopped">Parada: a resposta está incompleta.</span>' in html


def test_other_browsers_get_english(client_as, member):
    html = client_as(member).get("/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()

    assert '<html lang="en">' in html
    assert "New conversation" in html


def test_the_language_switch_sets_the_language_for_later_pages(client_as, member):
    client = client_as(member)

    response = client.post(
        "/i18n/setlang/", {"language": "pt"}, HTTP_REFERER="http://testserver/console/"
    )

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/console/"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="pt">' in html
    assert '<option value="pt" lang="pt" selected>Português</option>' in html


def test_login_page_offers_the_switch_and_translates(db):
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()

    assert 'id="language-select"' in html
    assert "Iniciar sessão no Enclave" in html


def test_document_statuses_are_translated(client_as, admin_user, hr_collection, hr_pdf):
    html = (
        client_as(admin_user)
        .get(f"/console/collections/{hr_collection.id}/", HTTP_ACCEPT_LANGUAGE="pt")
        .content.decode()
    )

    assert '<span class="badge doc-status status-indexed">Indexado</span>' in html
    assert '"indexed": "Indexado"' in html
