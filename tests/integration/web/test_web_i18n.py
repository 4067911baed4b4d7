"""English, Brazilian and European Portuguese UI text: the browser's language or the switch.

Adding or changing UI text: mark it ({% translate %}, gettext), then in webapp/ run
``django-admin makemessages -l pt_BR -l pt_PT --no-location``, fill in both msgstrs
and ``django-admin compilemessages``; test_every_marked_string_is_translated fails
until both catalogues have it.
"""

from __future__ import annotations

import gettext
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.translation import override

import webapp
from retrieval.errors import RetrievalError
from webapp.chat.wording import error_event, language_for
from webapp.web.labels import DOCUMENT_ERROR_LABELS

pytestmark = pytest.mark.django_db

WEBAPP = Path(webapp.__file__).parent
LOCALES = ("pt_BR", "pt_PT")
PT_BR = "pt-BR,pt;q=0.9,en;q=0.5"


def po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry of a .po file, the header left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~") or "msgid" not in block:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        parts = re.split(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) ", block, flags=re.M)
        fields: dict[str, str] = {}
        for key, value in zip(parts[1::2], parts[2::2], strict=True):
            strings = re.findall(r'"((?:[^"\\]|\\.)*)"', value)
            fields[key] = "".join(json.loads(f'"{s}"') for s in strings)
        msgstrs = [v for k, v in fields.items() if k.startswith("msgstr")]
        if fields.get("msgid"):
            entries.append((fields["msgid"], min(msgstrs, key=len), fuzzy))
    return entries


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogues_are_committed_and_match_their_source(locale):
    # A fresh clone needs no gettext tools: the .mo travels with the .po, up to date.
    folder = WEBAPP / "locale" / locale / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    stale = [
        msgid
        for msgid, msgstr, _ in po_entries(folder / "django.po")
        if "\x00" not in msgid and catalogue.gettext(msgid) != msgstr
    ]

    assert stale == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (xgettext)")
def test_every_marked_string_is_translated(tmp_path):
    # makemessages on a copy of the sources: a marked string missing from a catalogue
    # comes back with an empty msgstr, a changed one as fuzzy.
    copy = tmp_path / "webapp"
    shutil.copytree(WEBAPP, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--no-location",
            "--settings",
            "webapp.config.django_settings",
            *(f"-l{locale}" for locale in LOCALES),
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )

    untranslated = {
        locale: [
            msgid
            for msgid, msgstr, fuzzy in po_entries(
                copy / "locale" / locale / "LC_MESSAGES" / "django.po"
            )
            if fuzzy or not msgstr
        ]
        for locale in LOCALES
    }

    assert untranslated == {"pt_BR": [], "pt_PT": []}


def test_the_brazilian_catalogue_uses_brazilian_words():
    european = re.compile(
        r"\b(ficheiros?|utilizador(es)?|palavras?-passe|ecrã|eliminar|iniciar sessão|"
        r"registo|num|numa|premido|está a \w+r)\b",
        re.I,
    )
    po = WEBAPP / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"

    found = [msgstr for _, msgstr, _ in po_entries(po) if european.search(msgstr)]

    assert found == []


def test_the_european_catalogue_uses_european_words():
    brazilian = re.compile(
        r"\b(senhas?|usuários?|excluir|excluíd[oa]s?|arquivos?|telas?|registros?|gerenciar)\b",
        re.I,
    )
    po = WEBAPP / "locale" / "pt_PT" / "LC_MESSAGES" / "django.po"

    found = [msgstr for _, msgstr, _ in po_entries(po) if brazilian.search(msgstr)]

    assert found == []
    assert {msgid: msgstr for msgid, msgstr, _ in po_entries(po)}["Delete user"] == (
        "Eliminar utilizador"
    )


def test_european_pages_say_palavra_passe_and_utilizador(client_as, admin_user):
    html = client_as(admin_user).get("/account/", HTTP_ACCEPT_LANGUAGE="pt-PT").content.decode()

    assert "Alterar palavra-passe" in html
    assert "Os seus tokens" in html
    assert "senha" not in html


def test_portuguese_browsers_get_brazilian_text(client_as, member):
    html = client_as(member).get("/", HTTP_ACCEPT_LANGUAGE=PT_BR).content.decode()

    assert '<html lang="pt-br">' in html
    assert "Nova conversa" in html
    assert 'placeholder="Faça uma pergunta…"' in html
    assert '<span data-key="stopped">Parada: a resposta está incompleta.</span>' in html


def test_a_browser_asking_plain_pt_gets_brazilian(db):
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()

    assert '<html lang="pt-br">' in html
    assert "Entrar no Enclave" in html
    assert 'id="language-select"' in html


def test_a_browser_from_portugal_gets_european_text(db):
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9").content.decode()

    assert '<html lang="pt-pt">' in html
    assert "Iniciar sessão no Enclave" in html


def test_other_browsers_get_english(client_as, member):
    html = client_as(member).get("/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()

    assert '<html lang="en">' in html
    assert "New conversation" in html


def test_the_language_switch_sets_the_language_for_later_pages(client_as, member):
    client = client_as(member)

    response = client.post(
        "/i18n/setlang/", {"language": "pt-pt"}, HTTP_REFERER="http://testserver/console/"
    )

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/console/"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="pt-pt">' in html
    assert '<option value="pt-pt" lang="pt-pt" selected>Português (Portugal)</option>' in html


def test_a_saved_pt_choice_from_before_the_split_reads_brazilian(client_as, member):
    # The language cookie of a user who chose "Português" when there was one.
    client = client_as(member)
    client.cookies["django_language"] = "pt"

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="pt-br">' in html
    assert '<option value="pt-br" lang="pt-br" selected>Português (Brasil)</option>' in html


def test_the_switch_still_accepts_pt(client_as, member):
    client = client_as(member)

    client.post("/i18n/setlang/", {"language": "pt"}, HTTP_REFERER="http://testserver/")

    assert '<html lang="pt-br">' in client.get("/").content.decode()


def test_chat_errors_and_notices_default_to_brazilian():
    # A Portuguese question without an interface language (API, CLI) and an old "pt".
    assert language_for("Quantos dias de férias eu tenho?") == "pt-br"
    assert language_for("anything", "pt") == "pt-br"
    assert language_for("anything", "pt-PT") == "pt-pt"
    assert language_for("anything", "de") == "en"
    assert error_event("invalid", "pt-br").message == "Digite uma pergunta."
    assert error_event("invalid", "pt-pt").message == "Escreva uma pergunta."


def test_document_statuses_are_translated(client_as, admin_user, hr_collection, hr_pdf):
    html = (
        client_as(admin_user)
        .get(f"/console/collections/{hr_collection.id}/", HTTP_ACCEPT_LANGUAGE=PT_BR)
        .content.decode()
    )

    assert '<span class="badge doc-status status-indexed">Indexado</span>' in html
    assert '"indexed": "Indexado"' in html


# English UI text that would show if a template or message were not translated.
ENGLISH = [
    "Skip to content",
    "Log out",
    "Language",
    "New conversation",
    "Ask a question",
    "Your question",
    "Search",
    "Collections",
    "Upload documents",
    "Choose files",
    "(optional)",
    "In progress",
    "Failed",
    "Retry",
    "Delete",
    "Save",
    "Documents",
    "password protected",
    "Change password",
    "Account",
]


def visible_text(client: Client, url: str, language: str) -> str:
    """The page's text and attributes a user reads (no scripts), tags removed."""
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)


def test_main_pages_show_no_english_in_brazilian(client_as, admin_user, hr_collection, hr_pdf):
    type(hr_pdf).objects.filter(id=hr_pdf.id).update(
        status="failed",
        error_code="encrypted_document",
        error_message="The PDF is password protected; upload it without a password.",
    )
    client = client_as(admin_user)
    pages = ["/", "/console/", f"/console/collections/{hr_collection.id}/", "/account/"]

    visible = {url: visible_text(client, url, PT_BR) for url in pages}
    in_english = " ".join(visible_text(client, url, "en") for url in pages)

    assert [w for w in ENGLISH if w not in in_english] == []  # each phrase is on a page
    assert {url: [w for w in ENGLISH if w in text] for url, text in visible.items()} == {
        url: [] for url in pages
    }
    assert "O arquivo está protegido por senha; envie-o sem senha." in visible[pages[2]]
    assert "Pular para o conteúdo" in visible[pages[0]]
    assert "Escolher arquivos" in visible[pages[2]]
    assert "Tentar novamente" in visible[pages[2]]
    assert "Excluir" in visible[pages[2]]
    live = client.get(
        f"/console/documents/status?ids={hr_pdf.id}", HTTP_ACCEPT_LANGUAGE=PT_BR
    ).json()
    assert live["documents"][0]["error"] == "O arquivo está protegido por senha; envie-o sem senha."


def every_error_class(root: type) -> list[type]:
    """``root`` and all its subclasses, depth first."""
    return [root, *(c for sub in root.__subclasses__() for c in every_error_class(sub))]


def test_every_ingestion_failure_code_has_a_translated_reason():
    # A new error code in retrieval/ needs its line in DOCUMENT_ERROR_LABELS (and both
    # catalogues), else its documents show the generic reason.
    codes = {error.code for error in every_error_class(RetrievalError)}
    codes |= {"internal_error", "original_missing"}  # the worker's and the restore's own

    with override("pt-br"):
        reasons = {code: str(DOCUMENT_ERROR_LABELS.get(code, "")) for code in codes}

    assert [code for code, reason in reasons.items() if not reason] == []
    assert reasons["encrypted_document"] == "O arquivo está protegido por senha; envie-o sem senha."
    assert len(set(reasons.values())) == len(codes)  # no reason stands for two codes


def test_failure_reasons_keep_their_detail_in_english(client_as, admin_user, hr_collection, hr_pdf):
    detail = "The PDF is password protected; upload it without a password."
    type(hr_pdf).objects.filter(id=hr_pdf.id).update(
        status="failed", error_code="encrypted_document", error_message=detail
    )

    html = (
        client_as(admin_user)
        .get(f"/console/collections/{hr_collection.id}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )

    assert f'<p class="doc-error">{detail}</p>' in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "A collection named &#x27;HR policies&#x27; already exists."),
        (PT_BR, "Já existe uma coleção chamada &#x27;HR policies&#x27;."),
        ("pt-PT", "Já existe uma coleção chamada &#x27;HR policies&#x27;."),
    ],
)
def test_service_errors_are_shown_in_the_users_language(
    client_as, admin_user, hr_collection, language, message
):
    response = client_as(admin_user).post(
        "/console/", {"name": "HR policies"}, HTTP_ACCEPT_LANGUAGE=language
    )

    assert message in response.content.decode()


@pytest.fixture
def upload_limit_1_mb(configure):
    configure(ENCLAVE_MAX_UPLOAD_MB="1")


def test_an_upload_over_the_limit_is_refused_in_brazilian(
    client_as, admin_user, hr_collection, upload_limit_1_mb
):
    big = SimpleUploadedFile("manual.txt", b"x" * (1024 * 1024 + 1))

    response = client_as(admin_user).post(
        f"/console/collections/{hr_collection.id}/upload",
        {"files": [big]},
        HTTP_ACCEPT_LANGUAGE=PT_BR,
        follow=True,
    )

    assert "manual.txt: manual.txt é maior que o limite de 1 MB" in response.content.decode()
