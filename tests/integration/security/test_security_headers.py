"""Response headers and what pages may load: CSP without inline script, API docs from this site.

Every HTML page the matrix visits is also parsed for inline script
(``test_security_matrix.py``); here: the headers' exact values, HSTS only over
TLS, and the API reference pages, which reference nothing outside the site.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings

from webapp.config.security_headers import HSTS_SECONDS, security_header_settings
from webapp.config.settings import EnclaveSettings

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; worker-src 'self' blob:"
)


class _References(HTMLParser):
    """Every URL a page loads or links (src, href, srcset, action) and every inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "action", "srcset", "spec-url"):
            if values.get(name):
                self.urls.append(values[name] or "")
        self._in_script = tag == "script" and not values.get("src")
        if self._in_script and values.get("type") == "application/json":
            self._in_script = False  # data, never run

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def _references(html: str) -> _References:
    parser = _References()
    parser.feed(html)
    return parser


def _external(urls: list[str]) -> list[str]:
    return [u for u in urls if urlsplit(u).scheme or urlsplit(u).netloc or u.startswith("//")]


def test_pages_carry_the_security_headers(client: Client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response


def test_json_and_error_responses_carry_them_too(client: Client):
    api = client.get("/api/v1/collections")
    missing = client.get("/no-such-page/")

    assert api.status_code == 401
    assert api["Content-Security-Policy"] == CSP
    assert missing.status_code == 404
    assert missing["Content-Security-Policy"] == CSP
    assert missing["X-Content-Type-Options"] == "nosniff"


def test_hsts_is_sent_over_tls_only_when_served_over_https(client: Client):
    behind_tls = security_header_settings(EnclaveSettings(secure_cookies=True))
    plain = security_header_settings(EnclaveSettings(secure_cookies=False))

    with override_settings(**behind_tls):
        secure = client.get("/login/", secure=True)
        insecure = client.get("/login/", secure=False)

    assert plain["SECURE_HSTS_SECONDS"] == 0
    assert secure["Strict-Transport-Security"] == f"max-age={HSTS_SECONDS}"
    assert "Strict-Transport-Security" not in insecure


@pytest.mark.parametrize("path", ["/api/v1/redoc", "/api/v1/docs"])
def test_the_api_reference_pages_reference_nothing_outside_the_site(client: Client, path: str):
    response = client.get(path)
    page = _references(response.content.decode())

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOCS_CSP
    assert page.urls, "the page loads its bundle"
    assert _external(page.urls) == []
    assert page.inline_scripts == []
    assert "fonts.googleapis.com" not in response.content.decode()


def test_the_swagger_set_up_script_is_a_same_site_request_without_the_validator(client: Client):
    page = _references(client.get("/api/v1/docs").content.decode())
    script_url = next(u for u in page.urls if u.endswith("script="))

    script = client.get(script_url)

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()
    assert "/api/v1/schema" in script.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/redoc", "/api/v1/docs"])
def test_the_api_reference_pages_answer_only_get(client: Client, path: str):
    # DRF's OPTIONS metadata cannot be rendered by an HTML page (it was a 500).
    assert client.options(path).status_code == 405
    assert client.post(path).status_code == 405
