"""A new user's first minutes, in headless Chromium against ``enclave serve``."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import ask, login
from tests.support.documents import make_handbook_pdf, make_security_docx
from tests.support.server import ADMIN_PASSWORD, ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

LEAVE_QUESTION = "How many days of paid annual leave do employees get?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("serve-home")
    serve = ServeProcess(process_env(home), home / "serve.log")
    serve.start()
    yield serve
    serve.stop()


def test_upload_watch_progress_ask_and_open_the_cited_page(server, browser, tmp_path, artifacts):
    pdf = make_handbook_pdf(tmp_path / "handbook.pdf")
    docx = make_security_docx(tmp_path / "security.docx")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    login(page, server.url, "admin", ADMIN_PASSWORD)

    page.goto(f"{server.url}/console/")
    page.fill("#id_name", "Handbooks")
    page.locator("#collection-create-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/collections/\d+/$"))
    page.set_input_files("#upload-files", [str(pdf), str(docx)])
    page.locator("#upload-form button[type=submit]").click()

    rows = page.locator("tr[data-document-id]")
    rows.first.wait_for()
    assert rows.count() == 2
    first_statuses = set(rows.evaluate_all("rs => rs.map(r => r.dataset.status)"))
    assert first_statuses <= {"queued", "parsing", "chunking", "embedding", "indexing", "indexed"}
    page.wait_for_function(
        "() => [...document.querySelectorAll('tr[data-document-id]')]"
        ".every(r => r.dataset.status === 'indexed')",
        timeout=240_000,
    )
    assert [t.strip().lower() for t in rows.locator(".doc-status").all_inner_texts()] == [
        "indexed",
        "indexed",
    ]
    progress = rows.locator("progress.doc-progress").evaluate_all("ps => ps.map(p => p.value)")
    assert progress == [100, 100]
    page.screenshot(path=str(artifacts / "console-desktop.png"), full_page=True)

    page.goto(f"{server.url}/")
    answer = ask(page, LEAVE_QUESTION).locator(".answer-text")
    assert "twenty-seven days" in answer.inner_text()
    chip = page.locator(".message.assistant").last.locator("button.citation").first
    chip.click()
    panel = page.locator("#passage-panel")
    panel.wait_for(state="visible")
    assert "handbook" in panel.locator(".passage-title").inner_text().lower()
    assert panel.locator(".passage-page").inner_text().strip() == "Page 2"
    assert "twenty-seven days" in panel.locator(".passage-text").inner_text()
    page.screenshot(path=str(artifacts / "chat-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)  # let the layout settle before the picture
    page.screenshot(path=str(artifacts / "chat-phone.png"), full_page=True)
    context.close()


def test_a_user_outside_the_group_sees_nothing_in_chat(server, browser, tmp_path):
    # The collection of the previous test has no groups: only staff may read it.
    created = run_cli(
        ["user", "bob", "--password", "bob-password-123", "--group", "eng"], server.env
    )
    assert created.returncode == 0, created.stderr
    context = browser.new_context()
    page = context.new_page()
    login(page, server.url, "bob", "bob-password-123")
    assert page.locator("text=Handbooks").count() == 0
    answer = ask(page, LEAVE_QUESTION).locator(".answer-text")
    text = answer.inner_text()
    assert "twenty-seven" not in text
    assert page.locator(".message.assistant").last.locator("button.citation").count() == 0
    context.close()
