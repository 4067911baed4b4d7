"""Regenerate an answer, edit and resend a question, and the marked sentence, in Chromium.

One ``enclave serve`` on the embedded defaults (extractive answers) with a handbook
ingested. In each language an employee asks, regenerates the answer (it is replaced in
place), opens its citation (the passage's backing sentence is in a ``<mark>``), then
edits the question into another one (question and answer replaced), and finds the
same after a reload. Screenshots at desktop and phone widths land in ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from tests.support.browser import DESKTOP, ask, login, shoot
from tests.support.documents import LEAVE_SENTENCE, PARKING_SENTENCE
from tests.support.server import handbook_served

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

LOCALES = {"en": "en-US", "pt": "pt-BR"}
PASSWORD = "handbook-reader-pass-8"
LEAVE_QUESTION = "How many days of paid annual leave do employees get?"
PARKING_QUESTION = "Where can staff park their bicycles?"
LABELS = {
    "en": {"regenerate": "Regenerate", "edit": "Edit"},
    "pt": {"regenerate": "Gerar novamente", "edit": "Editar"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from handbook_served(
        tmp_path_factory, "regenerate", readers=("reader-en", "reader-pt"), password=PASSWORD
    )


def _wait_for_new_answer(page, old_id: str) -> None:
    page.wait_for_function(
        "old => { const a = document.querySelector('.message.assistant:last-of-type');"
        " return a && a.dataset.messageId && a.dataset.messageId !== old"
        " && !a.classList.contains('streaming'); }",
        arg=old_id,
        timeout=120_000,
    )


def _marked(page) -> list[str]:
    """The panel's marked sentences, after opening the last answer's first citation."""
    page.locator(".message.assistant").last.locator("button.citation").first.click()
    page.locator("#passage-panel").wait_for(state="visible")
    return [" ".join(t.split()) for t in page.locator("#passage-panel mark").all_inner_texts()]


@pytest.mark.parametrize("language", ["en", "pt"])
def test_regenerate_edit_and_the_marked_sentence(server, browser, artifacts, language):
    labels = LABELS[language]
    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[language])
    page = context.new_page()
    login(page, server.url, f"reader-{language}", PASSWORD)
    first = ask(page, LEAVE_QUESTION)
    first_id = first.get_attribute("data-message-id")

    regenerate = page.locator(".message.assistant button.regenerate")
    assert regenerate.inner_text() == labels["regenerate"]
    regenerate.click()
    _wait_for_new_answer(page, first_id)

    # Replaced in place: one question, one answer, the new one.
    assert page.locator(".message.user .message-text").all_inner_texts() == [LEAVE_QUESTION]
    assert page.locator(".message.assistant").count() == 1
    answer = page.locator(".message.assistant").last
    assert "twenty-seven days" in answer.locator(".answer-text").inner_text()
    assert _marked(page) == [LEAVE_SENTENCE]
    shoot(page, artifacts, f"chat-regenerated-marked-{language}", shown="#passage-panel mark")
    page.locator(".passage-close").click()

    regenerated_id = answer.get_attribute("data-message-id")
    edit = page.locator(".message.user button.edit-question")
    assert edit.inner_text() == labels["edit"]
    edit.click()
    assert page.input_value("#question") == LEAVE_QUESTION
    assert page.locator("#edit-note").is_visible()
    shoot(page, artifacts, f"chat-editing-{language}", shown="#edit-note")
    page.fill("#question", PARKING_QUESTION)
    page.press("#question", "Enter")
    _wait_for_new_answer(page, regenerated_id)

    assert page.locator(".message.user .message-text").all_inner_texts() == [PARKING_QUESTION]
    assert page.locator(".message.assistant").count() == 1
    assert not page.locator("#edit-note").is_visible()
    assert "Bicycle parking" in page.locator(".message.assistant .answer-text").inner_text()
    assert _marked(page) == [PARKING_SENTENCE]
    shoot(page, artifacts, f"chat-edited-marked-{language}", shown="#passage-panel mark")

    # Stored: the same after a reload, with the buttons on the last turn.
    page.reload()
    assert page.locator(".message.user .message-text").all_inner_texts() == [PARKING_QUESTION]
    assert page.locator("button.regenerate").count() == 1
    assert _marked(page) == [PARKING_SENTENCE]
    context.close()
