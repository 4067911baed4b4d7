"""scim2-tester's RFC 7643/7644 checks against a live ``enclave serve``, with a CLI-made token.

Every check must pass. Features the ServiceProviderConfig declares unsupported
(bulk, sort, ETags, password change, cursor paging) are ones scim2-tester 0.5
has no check for, so nothing is skipped; a skip or a check that stops running
fails the test, as the expected set of passing checks is listed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.support.server import ServeProcess, cli, process_env, token_create

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
DISCOVERY = (
    "access_invalid_resource_type",
    "access_invalid_schema",
    "access_schema_by_id",
    "query_all_resource_types",
    "query_all_schemas",
    "query_resource_type_by_id",
    "random_url",
    "resource_types_endpoint_methods",
    "resource_types_schema_validation",
    "schemas_endpoint_methods",
    "service_provider_config_endpoint",
    "service_provider_config_endpoint_methods",
)
PER_RESOURCE = (
    "check_add_attribute",
    "check_remove_attribute",
    "check_replace_attribute",
    "object_creation",
    "object_deletion",
    "object_list_with_attributes",
    "object_query",
    "object_query_with_attributes",
    "object_query_without_id",
    "object_replacement",
    "search_with_attributes",
)
CHECKS = {f"{name} [None]" for name in DISCOVERY} | {
    f"{name} [{kind}]" for name in PER_RESOURCE for kind in ("User", "Group")
}


@pytest.fixture(scope="module")
def scim_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A served Enclave and a ``scim`` token made with ``enclave token create``."""
    home = tmp_path_factory.mktemp("scim-home")
    env = process_env(home)
    cli(["user", "it-admin", "--password", "it-admin-pass-123", "--admin"], env)
    secret = token_create(env, user="it-admin", name="idp", scope="scim")
    serve = ServeProcess(env, Path(home) / "serve.log")
    serve.start()
    try:
        yield serve.url, secret
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
    passed = {f"{r.title} [{r.resource_type}]" for r in results if r.status in PASSED}
    assert passed == CHECKS
