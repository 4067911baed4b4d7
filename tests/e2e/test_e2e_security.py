"""In Chromium: pages work under the Content-Security-Policy and load nothing from elsewhere.

Every request the browser makes is recorded: each must go to the server itself.
Console messages about the policy are collected: the app's own pages have none;
the ReDoc page has exactly one, the footer logo on cdn.redoc.ly that the policy
keeps the browser from fetching.
"""

from __future__ import annotations

import re

import pytest

from tests.support.server import ADMIN_PASSWORD, ServeProcess, process_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PAGES = [
    "/",
    "/console/",
    "/console/users/",
    "/console/tokens/",
    "/console/usage/",
    "/console/audit/",
]
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("csp-home")
    serve = ServeProcess(process_env(home), home / "serve.log")
    serve.start()
    yield serve
    serve.stop()


def _watch(page, url: str) -> tuple[list[str], list[str]]:
    """Requests for another origin (with how each ended), and console messages about the policy.

    A request the policy blocks still shows as a request, failed with
    "csp" (Chromium's net::ERR_BLOCKED_BY_CSP): it never left the browser.
    """
    elsewhere: list[str] = []
    violations: list[str] = []

    def ended(request, how: str) -> None:
        if not request.url.startswith((url, "data:", "blob:")):
            elsewhere.append(f"{request.url} {how}")

    page.on("requestfinished", lambda r: ended(r, "sent"))
    page.on("requestfailed", lambda r: ended(r, r.failure or "failed"))
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return elsewhere, violations


def test_the_app_runs_under_its_policy_and_stays_on_its_origin(server, browser):
    page = browser.new_context().new_page()
    elsewhere, violations = _watch(page, server.url)
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/$"))
    scripts_ran = []
    for path in PAGES:
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 200, path
        # enclave.js hides the language form's button on every page it runs on.
        scripts_ran.append(page.locator(".language-submit").is_hidden())

    assert scripts_ran == [True] * len(PAGES)
    assert elsewhere == []
    assert violations == []


@pytest.mark.parametrize("path", ["/api/v1/redoc", "/api/v1/docs"])
def test_the_api_reference_renders_from_this_site_only(server, browser, path):
    page = browser.new_context().new_page()
    elsewhere, violations = _watch(page, server.url)

    page.goto(f"{server.url}{path}")
    # Both show the schema's title once their bundle has run and fetched it.
    page.locator("h1, h2").filter(has_text="Enclave API").first.wait_for(timeout=60_000)

    if path.endswith("redoc"):
        assert elsewhere == [f"{REDOC_LOGO} csp"]
        assert len(violations) == 1 and REDOC_LOGO in violations[0]
    else:
        assert elsewhere == []
        assert violations == []
