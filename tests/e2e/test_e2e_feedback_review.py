"""The employee's feedback reaching the admin, and the employee's search and export, in Chromium.

One ``enclave serve`` on the embedded defaults (extractive answers) with a
handbook ingested. In each language, an employee gives a thumbs down with a
comment and asks something the handbook does not cover, finds the answer again
with the sidebar's search and downloads the conversation as Markdown and PDF; the admin
then reads both on the console's Feedback page. Screenshots at desktop and
phone widths land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.support.browser import DESKTOP, ask, login, shoot
from tests.support.server import ADMIN_PASSWORD, handbook_served

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

LOCALES = {"en": "en-US", "pt": "pt-BR"}
PASSWORD = "handbook-reader-pass-8"
LEAVE_QUESTION = "How many days of paid annual leave do employees get?"
OFF_TOPIC = "What is the recipe for a chocolate cake with strawberries?"
WORDS = {
    "en": {
        "feedback": "Feedback",
        "abstained": "Not found in the documents",
        "export": "Export",
        "question": "Question",
    },
    "pt": {
        "feedback": "Avaliações",
        "abstained": "Não encontrado nos documentos",
        "export": "Exportar",
        "question": "Pergunta",
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from handbook_served(
        tmp_path_factory, "feedback", readers=("reader-en", "reader-pt"), password=PASSWORD
    )


@pytest.mark.parametrize("language", ["en", "pt"])
def test_a_thumbs_down_and_an_unanswered_question_reach_the_feedback_page(
    server, browser, artifacts, language
):
    comment = f"Part-time staff are missing ({language})."
    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[language])
    page = context.new_page()
    login(page, server.url, f"reader-{language}", PASSWORD)
    answer = ask(page, LEAVE_QUESTION)
    assert "twenty-seven days" in answer.locator(".answer-text").inner_text()
    answer.locator(".thumb-down").click()
    answer.locator(".feedback-comment textarea").fill(comment)
    answer.locator(".feedback-comment button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('.message.assistant:last-child .answer-actions-status')"
        ".textContent.length > 0"
    )
    conversation_url = page.url

    # The sidebar's search finds the conversation by a word of its answer.
    page.fill("#conversation-q", "twenty-seven")
    with page.expect_navigation():
        page.press("#conversation-q", "Enter")
    hits = page.locator("#search-hits li")
    assert hits.count() == 1
    assert "twenty-seven days" in hits.first.locator(".search-snippet").inner_text()
    shoot(page, artifacts, f"chat-search-{language}", shown="#search-hits")

    # The conversation downloads as Markdown, the handbook cited in a footnote.
    page.goto(conversation_url)
    assert WORDS[language]["export"] in page.locator("#export-link").inner_text()
    shoot(page, artifacts, f"chat-export-{language}", shown="#export-pdf-link")
    with page.expect_download() as download:
        page.click("#export-link")
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert LEAVE_QUESTION in markdown
    assert re.search(r"^\[\^1\]: [^\n]*handbook[^\n]*, p\. 2\b", markdown, re.I | re.M)
    # And as PDF: the same question under its translated heading, the same footnote.
    with page.expect_download() as download:
        page.click("#export-pdf-link")
    pdf = PdfReader(download.value.path())
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
    assert f"{WORDS[language]['question']} {LEAVE_QUESTION}" in text
    assert re.search(r"\b1 [^,]*handbook[^,]*, p\. 2\b", text, re.I)

    page.goto(f"{server.url}/")
    ask(page, OFF_TOPIC)
    context.close()

    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[language])
    page = context.new_page()
    login(page, server.url, "admin", ADMIN_PASSWORD)
    page.goto(f"{server.url}/console/")
    with page.expect_navigation():
        page.get_by_role("link", name=WORDS[language]["feedback"], exact=True).click()
    mine = page.locator("#feedback-table tbody tr", has_text=comment)
    assert mine.count() == 1
    assert LEAVE_QUESTION in mine.inner_text() and "HR" in mine.inner_text()
    page.select_option("#feedback-kind", "abstained")
    with page.expect_navigation():
        page.locator("#feedback-filter button[type=submit]").click()
    rows = page.locator("#feedback-table tbody tr")
    assert OFF_TOPIC in rows.first.inner_text()
    assert rows.first.locator(".review-tag").inner_text() == WORDS[language]["abstained"]
    assert page.locator("#feedback-table", has_text=comment).count() == 0
    shoot(page, artifacts, f"console-feedback-{language}", shown="#feedback-table")
    context.close()
