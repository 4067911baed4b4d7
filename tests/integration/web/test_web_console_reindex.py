"""The console's search-index card, its live build progress and the re-index buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from webapp.audit.models import AuditEvent
from webapp.knowledge.indexes import search_index_bootstrap, search_index_build_start
from webapp.knowledge.models import DocumentStatus, SearchIndex, SearchIndexSkip

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_index() -> SearchIndex:
    return search_index_bootstrap(model_dir="", model_name="all-MiniLM-L6-v2", dimension=384)


@pytest.fixture
def finance_txt(finance_collection, make_document):
    return make_document(
        finance_collection,
        b"Invoices are paid in 30 days.",
        filename="terms.txt",
        mime_type="text/plain",
    )


@pytest.fixture
def building(active_index, hr_pdf, finance_txt, second_model_dir) -> SearchIndex:
    """A build for the second model, one of its two documents done (the worker never runs here)."""
    build = search_index_build_start(
        model_dir=str(second_model_dir), model_name="minilm-128", dimension=128
    )
    SearchIndex.objects.filter(id=build.id).update(documents_done=1)
    build.refresh_from_db()
    return build


@pytest.fixture
def stalled_after_60_s(configure):
    configure(ENCLAVE_STALLED_AFTER_S="60")


def test_non_staff_get_404_on_every_new_url_and_nothing_is_queued(
    client_as, member, hr_collection, hr_pdf, active_index
):
    client = client_as(member)

    codes = [
        client.get("/console/search-index/status").status_code,
        client.post("/console/reindex").status_code,
        client.post(f"/console/collections/{hr_collection.id}/reindex").status_code,
    ]

    assert codes == [404, 404, 404]
    hr_pdf.refresh_from_db()
    assert hr_pdf.status == DocumentStatus.INDEXED
    assert AuditEvent.objects.count() == 0


def test_card_shows_the_active_index_model_size_and_documents(
    client_as, admin_user, active_index, hr_pdf, finance_txt, failed_scan
):
    html = client_as(admin_user).get("/console/").content.decode()

    assert '<dd class="index-model">all-MiniLM-L6-v2 (packaged), onnx-int8</dd>' in html
    assert '<dd class="index-dimension">384</dd>' in html
    assert '<dd class="index-documents">2</dd>' in html
    assert 'action="/console/reindex"' in html
    assert 'id="index-build"' not in html
    assert "data-building" not in html  # nothing to poll


def test_card_shows_a_running_build_with_its_progress(
    client_as, admin_user, building, second_model_dir
):
    html = client_as(admin_user).get("/console/").content.decode()

    assert 'data-building="true"' in html
    assert f'<strong class="build-model">{second_model_dir}, torch</strong>' in html
    assert '<span class="build-dimension">128</span> dimensions' in html
    done = '<span class="build-done">1</span> of <span class="build-total">2</span> documents'
    assert done in html
    assert 'class="doc-progress build-progress" max="100" value="50"' in html
    assert '<p class="hint build-stalled-hint" hidden>' in html


def test_status_endpoint_reports_the_build_progress(
    client_as, admin_user, building, second_model_dir
):
    response = client_as(admin_user).get("/console/search-index/status")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    age = body["building"].pop("heartbeat_age_s")
    assert isinstance(age, int) and age >= 0
    assert body == {
        "active": {
            "name": "enclave_chunks",
            "model": "all-MiniLM-L6-v2 (packaged), onnx-int8",
            "dimension": 384,
            "documents": 2,
            "documents_skipped": 0,
        },
        "building": {
            "name": building.name,
            "model": f"{second_model_dir}, torch",
            "dimension": 128,
            "documents_done": 1,
            "documents_total": 2,
            "documents_skipped": 0,
            "progress_percent": 50,
            "heartbeat_at": building.heartbeat_at.isoformat(),
            "stalled": False,
            "stalled_after_s": 300,
        },
    }


def test_a_build_that_could_not_write_a_document_says_so_while_building(
    client_as, admin_user, building, hr_pdf
):
    # Written by the worker's build (webapp.knowledge.rebuild) when a file no longer reads.
    SearchIndexSkip.objects.create(
        index=building,
        document=hr_pdf,
        document_version=hr_pdf.version,
        code="parse_error",
        message="The file could not be read: it contains binary data, not text.",
    )
    client = client_as(admin_user)

    status = client.get("/console/search-index/status").json()
    html = client.get("/console/").content.decode()
    portuguese = client.get("/console/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()

    assert (status["building"]["documents_skipped"], status["active"]["documents_skipped"]) == (
        1,
        0,
    )
    assert (
        '<p class="hint build-skipped"><span class="build-skipped-count">1</span> document(s) '
        "could not be written to the new index; when it is switched to, they are marked "
        "failed in their collections, with the reason.</p>"
    ) in html
    assert '<p class="hint index-skipped" hidden>' in html
    assert (
        '<span class="build-skipped-count">1</span> documento(s) não puderam ser gravados '
        "no novo índice;"
    ) in portuguese


def test_a_build_without_heartbeat_for_the_stalled_time_shows_as_stalled(
    client_as, admin_user, building, stalled_after_60_s
):
    SearchIndex.objects.filter(id=building.id).update(
        heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    client = client_as(admin_user)

    status = client.get("/console/search-index/status").json()["building"]
    html = client.get("/console/").content.decode()

    assert (status["stalled"], status["stalled_after_s"]) == (True, 60)
    assert '<p class="hint build-stalled-hint">No heartbeat for over 60 s.' in html
    assert '<span class="badge status-failed build-stalled">Stalled</span>' in html


def test_re_index_a_collection_queues_its_documents_and_is_audited(
    client_as, admin_user, hr_collection, hr_pdf, finance_txt
):
    response = client_as(admin_user).post(
        f"/console/collections/{hr_collection.id}/reindex", follow=True
    )

    html = response.content.decode()
    assert response.redirect_chain == [(f"/console/collections/{hr_collection.id}/", 302)]
    assert "1 document(s) queued for re-indexing." in html
    assert f'<tr data-document-id="{hr_pdf.id}" data-status="queued">' in html  # polled live
    hr_pdf.refresh_from_db()
    finance_txt.refresh_from_db()
    assert (hr_pdf.status, finance_txt.status) == ("queued", "indexed")
    event = AuditEvent.objects.get()
    assert (event.kind, event.actor, event.detail) == (
        "documents.reindex",
        admin_user,
        {"collection_id": hr_collection.id, "name": "HR policies", "documents": 1},
    )


def test_re_index_everything_queues_every_document_and_is_audited(
    client_as, admin_user, hr_pdf, finance_txt
):
    response = client_as(admin_user).post("/console/reindex", follow=True)

    assert response.redirect_chain == [("/console/", 302)]
    assert "2 document(s) queued for re-indexing." in response.content.decode()
    hr_pdf.refresh_from_db()
    finance_txt.refresh_from_db()
    assert (hr_pdf.status, finance_txt.status) == ("queued", "queued")
    event = AuditEvent.objects.get()
    assert (event.kind, event.actor, event.detail) == (
        "documents.reindex",
        admin_user,
        {"all": True, "documents": 2},
    )


def test_re_index_with_no_documents_says_so(client_as, admin_user):
    response = client_as(admin_user).post("/console/reindex", follow=True)

    assert "No documents to re-index." in response.content.decode()


def test_re_index_needs_post_and_a_csrf_token(admin_user, hr_collection, hr_pdf):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    codes = [
        client.get("/console/reindex").status_code,
        client.post("/console/reindex").status_code,
        client.post(f"/console/collections/{hr_collection.id}/reindex").status_code,
    ]

    assert codes == [405, 403, 403]
    hr_pdf.refresh_from_db()
    assert hr_pdf.status == DocumentStatus.INDEXED
    assert AuditEvent.objects.count() == 0


def test_card_and_buttons_are_translated_to_portuguese(
    client_as, admin_user, building, hr_collection
):
    client = client_as(admin_user)

    home = client.get("/console/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    page = client.get(
        f"/console/collections/{hr_collection.id}/", HTTP_ACCEPT_LANGUAGE="pt"
    ).content.decode()

    assert "Índice de pesquisa" in home
    assert "Reindexar tudo" in home
    assert '<span class="build-dimension">128</span> dimensões); as pesquisas' in home
    assert (
        '<span class="build-done">1</span> de <span class="build-total">2</span> documentos' in home
    )
    assert "último sinal de vida há" in home
    assert "Sem sinal de vida há mais de 300 s." in home
    assert ">Reindexar</button>" in page
