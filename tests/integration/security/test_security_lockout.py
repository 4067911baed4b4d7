"""The sign-in lockout holds against forged client addresses, through the live server.

uvicorn believes ``X-Forwarded-For`` only from ``ENCLAVE_TRUSTED_PROXIES`` (here
127.0.0.2). From anywhere else the header is ignored, so a local client cannot
claim a new address per try; and an account meets a limit of its own when the
guesses really do come from many addresses (through the proxy).
"""

from __future__ import annotations

import pytest

from tests.integration.security.conftest import PASSWORD, SecuritySite, sign_in

pytestmark = pytest.mark.integration


def _statuses(site: SecuritySite, username: str, forwarded: list[str], *, via_proxy: bool):
    with site.web(via_proxy=via_proxy) as client:
        return [
            sign_in(client, username, "wrong-password", {"X-Forwarded-For": address}).status_code
            for address in forwarded
        ]


def test_a_forged_address_after_the_lockout_does_not_sign_in(security_site: SecuritySite):
    failures = _statuses(security_site, "dora", ["10.0.0.7"] * 5, via_proxy=False)

    with security_site.web() as client:
        forged = sign_in(client, "dora", PASSWORD, {"X-Forwarded-For": "10.9.9.9"})
        signed_in = "sessionid" in client.cookies

    assert failures == [200] * 5
    assert forged.status_code == 429
    assert "Too many failed sign-ins" in forged.text
    assert not signed_in


def test_thirty_guesses_with_rotating_forged_addresses_are_locked(security_site: SecuritySite):
    addresses = [f"203.0.113.{i}" for i in range(1, 31)]

    statuses = _statuses(security_site, "erin", addresses, via_proxy=False)

    assert statuses == [200] * 5 + [429] * 25


def test_guesses_from_many_real_addresses_lock_the_account(security_site: SecuritySite):
    # Through the trusted proxy each guess really has its own address: only the
    # per-account limit (ENCLAVE_LOGIN_MAX_FAILURES_PER_ACCOUNT, 10) stops them.
    addresses = [f"198.51.100.{i}" for i in range(1, 31)]

    statuses = _statuses(security_site, "fred", addresses, via_proxy=True)
    with security_site.web(via_proxy=True) as client:
        owner = sign_in(client, "fred", PASSWORD, {"X-Forwarded-For": "192.0.2.200"})
        someone_else = sign_in(client, "gina", PASSWORD, {"X-Forwarded-For": "192.0.2.200"})

    assert statuses == [200] * 10 + [429] * 20
    assert owner.status_code == 429
    assert someone_else.status_code == 302


def test_the_trusted_proxy_passes_each_clients_own_address(security_site: SecuritySite):
    failures = _statuses(security_site, "hank", ["192.0.2.10"] * 5, via_proxy=True)

    with security_site.web(via_proxy=True) as client:
        same_address = sign_in(client, "hank", PASSWORD, {"X-Forwarded-For": "192.0.2.10"})
    with security_site.web(via_proxy=True) as client:
        other_address = sign_in(client, "hank", PASSWORD, {"X-Forwarded-For": "192.0.2.11"})

    assert failures == [200] * 5
    assert same_address.status_code == 429
    assert other_address.status_code == 302
