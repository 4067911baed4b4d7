"""The collection page while documents are ingested, and the audit log's filter, in Chromium.

One ``enclave serve`` (embedded defaults). For each language an admin opens an
empty collection, documents arrive from the terminal (``enclave ingest
--no-wait``, the server's worker does the work) and the status counters follow
without a reload; a scanned PDF fails with no full progress bar, and only it
offers "Retry", which a phone user reaches without scrolling the table sideways.
In English and in Brazilian Portuguese (the browser's language); screenshots
at desktop and phone widths land in ``test-artifacts/``.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser import DESKTOP, PHONE, shoot
from tests.support.documents import make_pdf
from tests.support.server import ADMIN_PASSWORD, ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

NOTES = 4  # text documents that index fine, beside one scanned PDF that fails
LANGUAGES = {
    "en": {
        "locale": "en-US",
        "lang": "en",
        "retry": "Retry",
        "failed": "Failed",
        "reason": None,
        "created": "Collection created",
    },
    "pt": {
        "locale": "pt-BR",
        "lang": "pt-br",
        "retry": "Tentar novamente",
        "failed": "Falhou",
        "reason": "O arquivo não tem texto que possa ser extraído.",
        "created": "Coleção criada",
    },
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return process_env(tmp_path_factory.mktemp("console-status-home"))


@pytest.fixture(scope="module")
def server(env, tmp_path_factory):
    serve = ServeProcess(env, tmp_path_factory.mktemp("console-status-log") / "serve.log")
    serve.start()
    yield serve
    serve.stop()


def _login(page, url):
    page.goto(f"{url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/(c/\d+/)?$"))


def _counts(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#status-filter [data-count]",
        "els => Object.fromEntries(els.map(e => [e.dataset.count, e.textContent.trim()]))",
    )


def _files(folder, language):
    folder.mkdir()
    for n in range(NOTES):
        (folder / f"note-{language}-{n}.txt").write_text(
            f"Note {n} ({language}): the canteen opens at {7 + n} o'clock.\n"
        )
    make_pdf(folder / f"scan-{language}.pdf", [[], [], []])  # three pages, no text layer
    return folder


@pytest.mark.parametrize("language", ["en", "pt"])
def test_counters_follow_ingestion_live_and_only_failures_offer_retry(
    server, env, browser, tmp_path, artifacts, language
):
    words = LANGUAGES[language]
    name = f"Scans {language}"
    context = browser.new_context(viewport=DESKTOP, locale=words["locale"])
    page = context.new_page()
    _login(page, server.url)
    page.goto(f"{server.url}/console/")
    assert page.locator("html").get_attribute("lang") == words["lang"]
    page.fill("#id_name", name)
    page.locator("#collection-create-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/collections/\d+/$"))
    assert _counts(page) == {"all": "0", "in_progress": "0", "indexed": "0", "failed": "0"}

    # Documents arrive from elsewhere while the page stays open: no reload.
    queued = run_cli(
        ["ingest", str(_files(tmp_path / "docs", language)), "--collection", name, "--no-wait"],
        env,
    )
    assert queued.returncode == 0, queued.stdout + queued.stderr
    page.wait_for_function(
        "n => document.querySelector('#status-filter [data-count=\"all\"]').textContent.trim()"
        " === String(n)",
        arg=NOTES + 1,
        timeout=60_000,
    )
    page.wait_for_function(
        "() => document.querySelector('#status-filter [data-count=\"in_progress\"]')"
        ".textContent.trim() === '0'",
        timeout=240_000,
    )
    assert _counts(page) == {
        "all": str(NOTES + 1),
        "in_progress": "0",
        "indexed": str(NOTES),
        "failed": "1",
    }

    # The failed scan: no full bar, its reason, and the only "Retry" on the page.
    page.reload()
    scan = page.locator("tr[data-document-id]", has_text=f"scan-{language}")
    assert scan.get_attribute("data-status") == "failed"
    assert not scan.locator("progress.doc-progress").is_visible()
    reason = scan.locator(".doc-error").inner_text().strip()
    assert reason != ""
    if words["reason"]:  # English shows the parser's own detail
        assert reason == words["reason"]
    assert scan.locator(".doc-status").inner_text().strip() == words["failed"]
    retry_buttons = page.locator("button.doc-retry:visible")
    assert retry_buttons.count() == 1
    assert retry_buttons.first.inner_text().strip() == words["retry"]
    assert scan.locator("button.doc-retry").is_visible()
    shoot(page, artifacts, f"console-collection-failed-{language}", shown="#status-filter")

    # On a phone the row's actions are on screen without scrolling the table sideways.
    page.set_viewport_size(PHONE)
    retry = scan.locator("button.doc-retry").bounding_box()
    assert retry is not None
    assert retry["x"] >= 0 and retry["x"] + retry["width"] <= PHONE["width"], retry
    delete = scan.locator("button.doc-delete").bounding_box()
    assert delete is not None and delete["x"] + delete["width"] <= PHONE["width"], delete
    sideways = page.eval_on_selector(".table-wrap", "w => w.scrollWidth - w.clientWidth")
    assert sideways <= 0, f"the documents table scrolls {sideways}px sideways on a phone"

    # Retry, tapped at phone width: the row is queued (no retry offered meanwhile),
    # then fails again live.
    with page.expect_navigation():
        scan.locator("button.doc-retry").click()
    scan = page.locator("tr[data-document-id]", has_text=f"scan-{language}")
    page.wait_for_function(
        "() => { const row = [...document.querySelectorAll('tr[data-document-id]')]"
        f".find(r => r.textContent.includes('scan-{language}'));"
        " return row.dataset.status === 'failed'"
        " && !row.querySelector('.doc-retry-form').hidden"
        " && row.querySelector('progress.doc-progress').hidden; }",
        timeout=120_000,
    )
    assert _counts(page)["failed"] == "1"
    context.close()


@pytest.mark.parametrize("language", ["en", "pt"])
def test_audit_kind_filter_lists_each_kind_once(server, browser, artifacts, language):
    words = LANGUAGES[language]
    context = browser.new_context(viewport=DESKTOP, locale=words["locale"])
    page = context.new_page()
    _login(page, server.url)
    page.goto(f"{server.url}/console/audit/")

    values = page.eval_on_selector_all("#audit-kind option", "os => os.map(o => o.value)")

    assert len(values) == len(set(values))
    # Two collections were created above (one per language): one option for both.
    assert values.count("collection.create") == 1
    assert page.locator("tr[data-kind='collection.create']").count() == 2
    page.select_option("#audit-kind", "collection.create")
    with page.expect_navigation():
        page.click("#audit-filter button[type=submit]")
    assert "kind=collection.create" in page.url
    assert page.locator("tr[data-kind]").count() == 2
    assert page.locator("#audit-kind option:checked").inner_text().strip() == words["created"]
    shoot(page, artifacts, f"console-audit-kinds-{language}", shown="#audit-table")
    context.close()
