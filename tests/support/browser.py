"""What a person does in the browser tests: sign in, ask a question and wait for the answer;
and the screenshots each step leaves, at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def shoot(page: Any, artifacts: Path, name: str) -> None:
    """The page at desktop and phone widths, as ``NAME-desktop.png`` and ``NAME-phone.png``."""
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(200)
    page.screenshot(path=str(artifacts / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


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
