"""scim2-tester's RFC 7643/7644 checks against a live ``enclave serve``, with a CLI-made token.

Every check must pass, except those for features the ServiceProviderConfig
declares unsupported (bulk, sort, ETags, password change), which the checker
skips; the skipped ones are listed here so a new skip fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def _cli(args: list[str], env: dict[str, str]) -> str:
    result = run_cli(args, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def scim_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A served Enclave and a ``scim`` token made with ``enclave token create``."""
    home = tmp_path_factory.mktemp("scim-home")
    env = process_env(home)
    _cli(["user", "it-admin", "--password", "it-admin-pass-123", "--admin"], env)
    created = _cli(["token", "create", "--user", "it-admin", "--name", "idp", "--scope", "scim"], env)
    serve = ServeProcess(env, Path(home) / "serve.log")
    serve.start()
    try:
        yield serve.url, created.strip().splitlines()[-1]
    finally:
        serve.stop()


def test_scim2_tester_finds_no_failure(scim_site):
    url, token = scim_site
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=f"{url}/scim/v2", headers=headers, timeout=60) as http:
        results = check_server(SyncSCIMClient(http))

    failures = [
        f"{r.title} [{r.resource_type}]: {r.status.name} {r.reason}"
        for r in results
        if r.status not in PASSED | {Status.SKIPPED}
    ]
    assert failures == [], "\n".join(failures)
    skipped = sorted({f"{r.title}: {r.reason}" for r in results if r.status is Status.SKIPPED})
    assert skipped == []
    passed = sorted({f"{r.title} [{r.resource_type}]" for r in results if r.status in PASSED})
    print("scim2-tester passed:", len(passed), *passed, sep="\n  ")
    assert len(passed) >= 30
