"""A live ``enclave serve`` for the security tests, and signing in through its web form.

One server for the folder: 127.0.0.2 is its one trusted proxy
(``ENCLAVE_TRUSTED_PROXIES``), so a client bound to 127.0.0.2 plays the proxy
and a client on 127.0.0.1 plays anyone else on the host. The people are made
with ``enclave user`` before the server starts; root's admin token comes from
``enclave token create``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServeProcess, cli, process_env, token_create

PROXY_ADDRESS = "127.0.0.2"
PASSWORD = "lock-test-pass-1"
# Accounts the sign-in tests lock; each test uses its own.
LOCK_USERS = ("dora", "erin", "fred", "gina", "hank", "ivan")
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class SecuritySite:
    """The running server, its home directory and root's admin token."""

    url: str
    home: Path
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def web(self, *, via_proxy: bool = False) -> httpx.Client:
        """A browser-like client: from 127.0.0.1, or from the trusted proxy's address."""
        transport = httpx.HTTPTransport(local_address=PROXY_ADDRESS if via_proxy else None)
        return httpx.Client(base_url=self.url, transport=transport, timeout=60)

    def api(self, who: str = "root") -> httpx.Client:
        """An API client with the named token."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def sign_in(
    client: httpx.Client, username: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Post the sign-in form as a browser would (CSRF cookie and field from the form)."""
    page = client.get("/login/", headers=headers)
    found = _CSRF_INPUT.search(page.text)
    assert found, page.text[:500]
    return client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": found.group(1)},
        headers=headers,
    )


@pytest.fixture(scope="session")
def security_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuritySite]:
    home = tmp_path_factory.mktemp("security-home")
    env = process_env(home, ENCLAVE_TRUSTED_PROXIES=f'["{PROXY_ADDRESS}"]')
    for name in LOCK_USERS:
        cli(["user", name, "--password", PASSWORD, "--group", "hr"], env)
    cli(["user", "root", "--password", "root-pass-123", "--admin"], env)
    root_token = token_create(env, user="root", name="tests", scope="admin")
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    site = SecuritySite(url=serve.url, home=home, env=env)
    site.tokens["root"] = root_token
    try:
        yield site
    finally:
        serve.stop()


@pytest.fixture
def world(db, tmp_path: Path):
    """The organisation of ``tests/integration/security/world.py``, fresh for each test."""
    from tests.integration.security.world import build_world

    return build_world(tmp_path)
