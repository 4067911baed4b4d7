"""What a person does in the browser tests: sign in, ask a question and wait for the answer;
and the screenshots each step leaves, at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def shoot(page: Any, artifacts: Path, name: str, *, shown: str | None = None) -> None:
    """The page at desktop and phone widths, as ``NAME-desktop.png`` and ``NAME-phone.png``.

    With ``shown`` (a selector), also what a phone user would notice: that element
    is visible at both widths, and at the phone's the page is no wider than the
    screen (wide tables scroll inside their own box, not the whole page).
    """
    for viewport, settle_ms in ((DESKTOP, 200), (PHONE, 300)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(settle_ms)  # let the layout settle before the picture
        width = "phone" if viewport is PHONE else "desktop"
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
        if shown is not None:
            assert page.locator(shown).first.is_visible(), f"{shown} hidden on {width}: {name}"
    if shown is not None:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than a phone"
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
