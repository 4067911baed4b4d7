"""What a person does in the browser tests: sign in, ask a question and wait for the answer."""

from __future__ import annotations

import re
from typing import Any


def login(page: Any, url: str, username: str, password: str) -> None:
    """Sign in through the login form and land on the chat."""
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/(c/\d+/)?$"))


def ask(page: Any, question: str) -> Any:
    """Ask in the chat; the new assistant message once it has stopped streaming."""
    before = page.locator(".message.assistant").count()
    page.fill("#question", question)
    page.click("#ask-button")
    page.wait_for_function(
        "n => { const all = document.querySelectorAll('.message.assistant');"
        " return all.length > n && !all[all.length - 1].classList.contains('streaming'); }",
        arg=before,
        timeout=120_000,
    )
    return page.locator(".message.assistant").last
