"""A day with Enclave in headless Chromium: admin, employee, access change, Portuguese.

One ``enclave serve`` (embedded defaults) answers with the OpenAI stand-in, slowed
down so that the answer visibly streams and can be stopped, and priced so that the
usage page shows costs. The tests run in order and share the server: the admin's
collection is what the employee asks about.
Screenshots of every page at desktop and phone widths land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.standin.process import start_standin, stop
from tests.support.browser import DESKTOP, ask, login, shoot
from tests.support.documents import make_handbook_pdf
from tests.support.server import ADMIN_PASSWORD, ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

EMPLOYEE, EMPLOYEE_PASSWORD = "maria", "maria-passphrase-42"
LEAVE_QUESTION = "How many days of paid annual leave do employees get?"
# Per 1,000 tokens: a cost the test can work out exactly from the token counts shown.
PRICES = '{"standin-llm": {"prompt_per_1k": 1, "completion_per_1k": 10}}'
XSS_TEXT = (
    'Security notice: <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
    "the visitor badge colour is vermilion.\n\nNothing else is in this notice.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("daily-home")
    # 60 ms per token: a one-sentence answer streams for a couple of seconds.
    base_url, standin = start_standin(model="standin-llm", delay_ms=60)
    env = process_env(
        home,
        ENCLAVE_LLM_ENDPOINTS=f"{base_url}|standin-llm",
        ENCLAVE_USAGE_PRICES=PRICES,
        ENCLAVE_USAGE_CURRENCY="EUR",
    )
    created = run_cli(["user", EMPLOYEE, "--password", EMPLOYEE_PASSWORD, "--group", "hr"], env)
    assert created.returncode == 0, created.stderr
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    yield serve
    serve.stop()
    stop(standin)


@pytest.fixture(scope="module")
def shared() -> dict:
    """What one test leaves for the next (the collection's URL)."""
    return {}


def test_admin_uploads_and_watches_progress_reach_indexed(
    server, browser, tmp_path, artifacts, shared
):
    pdf = make_handbook_pdf(tmp_path / "handbook.pdf")
    notice = tmp_path / "visitor-notice.txt"
    notice.write_text(XSS_TEXT)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    login(page, server.url, "admin", ADMIN_PASSWORD)

    page.goto(f"{server.url}/console/")
    page.fill("#id_name", "Handbooks")
    page.select_option("#id_groups", label="hr")
    page.locator("#collection-create-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/collections/\d+/$"))
    shared["collection_url"] = page.url
    page.set_input_files("#upload-files", [str(pdf), str(notice)])
    page.locator("#upload-form button[type=submit]").click()

    rows = page.locator("tr[data-document-id]")
    rows.first.wait_for()
    assert rows.count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('tr[data-document-id]')]"
        ".every(r => r.dataset.status === 'indexed')",
        timeout=240_000,
    )
    assert rows.locator("progress.doc-progress").evaluate_all("ps => ps.map(p => p.value)") == [
        100,
        100,
    ]
    page.click("#status-filter >> text=Failed")
    assert page.locator("tr[data-document-id]").count() == 0
    page.click("#status-filter >> text=All")
    shoot(page, artifacts, "console-collection", shown="#upload-form")
    page.goto(f"{server.url}/console/")
    shoot(page, artifacts, "console", shown="#collection-create-form")
    context.close()


def test_employee_asks_streams_stops_cites_and_gives_feedback(server, browser, artifacts):
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    login(page, server.url, EMPLOYEE, EMPLOYEE_PASSWORD)

    # Stream: the answer grows while the article is still marked as streaming.
    page.fill("#question", LEAVE_QUESTION)
    page.click("#ask-button")
    page.wait_for_function(
        "() => { const a = document.querySelector('.message.assistant.streaming .answer-text');"
        " return a && a.textContent.trim().length > 0; }",
        timeout=60_000,
    )
    assert page.locator("#stop-button").is_visible()
    page.wait_for_function(
        "() => !document.querySelector('.message.assistant.streaming')", timeout=120_000
    )
    answer = page.locator(".message.assistant").last
    assert "twenty-seven days" in answer.locator(".answer-text").inner_text()
    assert page.locator("#ask-button").is_visible()

    # Open a citation: the passage, its document and page.
    answer.locator("button.citation").first.click()
    panel = page.locator("#passage-panel")
    panel.wait_for(state="visible")
    assert "handbook" in panel.locator(".passage-title").inner_text().lower()
    assert panel.locator(".passage-page").inner_text().strip() == "Page 2"
    assert re.search(
        r"/documents/\d+/download#page=2$", panel.locator(".passage-open").get_attribute("href")
    )
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")

    # Copy the answer; thumbs down with a comment, kept after a reload.
    answer.locator(".copy-answer").click()
    assert "twenty-seven" in page.evaluate("navigator.clipboard.readText()")
    answer.locator(".thumb-down").click()
    answer.locator(".feedback-comment textarea").fill("Please cite the policy number.")
    answer.locator(".feedback-comment button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('.message.assistant:last-child .answer-actions-status')"
        ".textContent.length > 0"
    )
    assert answer.locator(".thumb-down").get_attribute("aria-pressed") == "true"
    page.reload()
    stored = page.locator(".message.assistant").last
    assert stored.locator(".thumb-down").get_attribute("aria-pressed") == "true"
    assert stored.locator(".thumb-up").get_attribute("aria-pressed") == "false"

    # Stop: the answer ends where it was, marked incomplete; the composer is back.
    page.fill("#question", "And how is annual leave requested?")
    page.click("#ask-button")
    page.wait_for_function(
        "() => { const a = document.querySelector('.message.assistant.streaming .answer-text');"
        " return a && a.textContent.trim().length > 0; }",
        timeout=60_000,
    )
    page.click("#stop-button")
    stopped = page.locator(".message.assistant").last
    stopped.locator(".answer-stopped").wait_for()
    assert page.locator("#ask-button").is_visible()
    assert not page.locator("#stop-button").is_visible()

    # Model and document text that looks like HTML stays text.
    xss = ask(page, "What colour is the visitor badge in the security notice?")
    assert (
        "onerror" in xss.inner_text()
        or "onerror" in page.locator("#passage-panel .passage-text").inner_text()
    )
    assert page.locator(".message.assistant img, .message.assistant script").count() == 0
    assert page.evaluate("window.__xss") is None

    shoot(page, artifacts, "chat", shown="#question")
    context.close()


def test_markdown_renders_a_safe_subset_as_elements(server, browser):
    context = browser.new_context()
    page = context.new_page()
    login(page, server.url, EMPLOYEE, EMPLOYEE_PASSWORD)
    source = (
        "**Leave** is *paid* [1].\n\n- first `code`\n- second\n\n1. one\n2. two\n\n"
        '<script>window.__md=1</script> <img src=x onerror="window.__md=2">\n\n```\nraw <b>\n```'
    )

    html = page.evaluate(
        """src => { const box = document.createElement('div');
        window.EnclaveMarkdown.render(box, src, n => { const b = document.createElement('button');
        b.className = 'citation'; b.textContent = String(n); return b; });
        document.body.append(box); return box.innerHTML; }""",
        source,
    )

    assert html == (
        '<p><strong>Leave</strong> is <em>paid</em> <button class="citation">1</button>.</p>'
        "<ul><li>first <code>code</code></li><li>second</li></ul>"
        "<ol><li>one</li><li>two</li></ol>"
        "<p>&lt;script&gt;window.__md=1&lt;/script&gt; "
        '&lt;img src=x onerror="window.__md=2"&gt;</p>'
        "<pre><code>raw &lt;b&gt;</code></pre>"
    )
    assert page.evaluate("window.__md") is None
    context.close()


def test_employee_renames_and_deletes_a_conversation(server, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    login(page, server.url, EMPLOYEE, EMPLOYEE_PASSWORD)
    page.locator("#conversation-list a").first.click()
    page.wait_for_url(re.compile(r"/c/\d+/$"))
    conversation_url = page.url

    page.click("#rename summary")
    page.fill("#rename-title", "Leave questions")
    page.click("#rename-form button[type=submit]")
    page.wait_for_url(conversation_url)
    assert page.locator("#chat-heading").inner_text() == "Leave questions"
    assert page.locator("#conversation-list a[aria-current=page]").inner_text() == "Leave questions"

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-button")
    page.wait_for_url(f"{server.url}/")
    assert page.locator("#conversation-list", has_text="Leave questions").count() == 0
    assert page.goto(conversation_url).status == 404
    context.close()


def test_admin_removes_the_group_and_the_employee_loses_access_at_once(
    server, browser, artifacts, shared
):
    admin = browser.new_context(viewport=DESKTOP)
    admin_page = admin.new_page()
    login(admin_page, server.url, "admin", ADMIN_PASSWORD)
    employee = browser.new_context(viewport=DESKTOP)
    employee_page = employee.new_page()
    login(employee_page, server.url, EMPLOYEE, EMPLOYEE_PASSWORD)
    before = ask(employee_page, LEAVE_QUESTION)
    assert before.locator("button.citation").count() >= 1

    admin_page.goto(shared["collection_url"])
    admin_page.select_option("#groups-form select", [])
    admin_page.click("#groups-form button[type=submit]")
    admin_page.wait_for_selector(".flash-success")

    employee_page.goto(f"{server.url}/")
    assert employee_page.locator("input[name=collection_ids]").count() == 0
    after = ask(employee_page, LEAVE_QUESTION)
    assert "twenty-seven" not in after.inner_text()
    assert after.locator("button.citation").count() == 0

    for path, name, shown in [
        ("/console/users/", "console-users", "#users-table"),
        ("/console/audit/", "console-audit", "#audit-table"),
    ]:
        admin_page.goto(f"{server.url}{path}")
        shoot(admin_page, artifacts, name, shown=shown)
    audit = admin_page.locator("#audit-table")
    assert audit.locator("tr[data-kind=ask]").count() >= 1
    assert audit.locator("tr[data-kind='collection.groups']").count() == 1
    admin.close()
    employee.close()


USAGE_WORDS = {
    "en": {"locale": "en-US", "costs": "What answers cost", "cost": "Cost (EUR)", "point": "."},
    "pt": {
        "locale": "pt-BR",
        "costs": "O que custam as respostas",
        "cost": "Custo (EUR)",
        "point": ",",
    },
}


@pytest.mark.parametrize("language", ["en", "pt"])
def test_the_usage_page_prices_the_answers_per_model_and_group(
    server, browser, artifacts, language
):
    words = USAGE_WORDS[language]
    context = browser.new_context(viewport=DESKTOP, locale=words["locale"])
    page = context.new_page()
    login(page, server.url, "admin", ADMIN_PASSWORD)
    page.goto(f"{server.url}/console/usage/")

    costs = page.locator("#usage-costs")
    assert costs.locator("h2").inner_text() == words["costs"]
    assert costs.locator("#costs-by-model thead th").last.text_content() == words["cost"]
    model = costs.locator("#costs-by-model tbody tr", has_text="standin-llm")
    cells = model.locator("td").all_inner_texts()  # answers, in, out, model time, cost
    tokens_in, tokens_out = int(cells[1]), int(cells[2])
    # maria's two answers before and after losing access (her first conversation is deleted).
    assert cells[0] == "2" and tokens_in > 0 and tokens_out > 0
    cost = Decimal(tokens_in) / 1000 + Decimal(tokens_out) * 10 / 1000
    assert cells[4] == f"{cost:.4f}".replace(".", words["point"])
    # Only maria asked: her group, hr, holds every answer; only the priced model used tokens.
    total = costs.locator("#costs-by-group tfoot td").all_inner_texts()
    group = costs.locator("#costs-by-group tbody tr", has_text="hr")
    assert group.locator("td").all_inner_texts()[:3] == total[:3]
    assert cells[1:3] == total[1:3]
    shoot(page, artifacts, f"console-usage-{language}", shown="#usage-costs")
    context.close()


def test_language_choice_brazilian_by_default_and_european_on_request(server, browser, artifacts):
    # A browser asking for plain Portuguese gets Brazilian Portuguese.
    context = browser.new_context(viewport=DESKTOP, locale="pt")
    page = context.new_page()
    page.goto(f"{server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert page.locator("#login-form button[type=submit]").inner_text() == "Entrar"
    context.close()

    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    login(page, server.url, EMPLOYEE, EMPLOYEE_PASSWORD)
    assert page.locator("#chat-heading").inner_text() == "New conversation"

    with page.expect_navigation():
        page.select_option("#language-select", "pt-br")

    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert page.locator("#chat-heading").inner_text() == "Nova conversa"
    assert page.locator("#ask-button").inner_text() == "Perguntar"
    assert page.locator(".logout-form button").inner_text() == "Sair"
    page.goto(f"{server.url}/")
    assert page.locator("#question").get_attribute("placeholder") == "Faça uma pergunta…"
    shoot(page, artifacts, "chat-pt-br", shown="#language-select")

    with page.expect_navigation():
        page.select_option("#language-select", "pt-pt")

    assert page.locator("html").get_attribute("lang") == "pt-pt"
    assert page.locator(".logout-form button").inner_text() == "Terminar sessão"
    shoot(page, artifacts, "chat-pt-pt", shown="#language-select")
    context.close()
