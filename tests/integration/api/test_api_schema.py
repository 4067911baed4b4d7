"""Schemathesis runs the generated OpenAPI schema against a live server: no 500, no violations.

It gets its own server and an admin token, because fuzzed requests create,
regroup and delete things at random; the other API tests share another one.
Revoking tokens is left out (a fuzzed id would revoke the fuzzer's own token).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("fuzz-home")
    env = process_env(home)
    assert run_cli(["user", "fuzz", "--password", "fuzz-pass-123", "--admin"], env).returncode == 0
    created = run_cli(
        [
            "token",
            "create",
            "--user",
            "fuzz",
            "--name",
            "fuzz",
            "--scope",
            "admin",
            "--rate-limit",
            "1000000",
        ],
        env,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    token = created.stdout.strip().splitlines()[-1]
    serve = ServeProcess(env, Path(home) / "serve.log")
    serve.start()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=serve.url, headers=headers, timeout=60) as client:
            collection = client.post("/api/v1/collections", json={"name": "Fuzz"}).json()
            client.post(
                f"/api/v1/collections/{collection['id']}/documents",
                json={"filename": "seed.md", "text": "# Seed\n\nThe seed document."},
            )
        yield serve.url, token
    finally:
        serve.stop()


def _generated_schema() -> dict:
    """The OpenAPI document as this code generates it (the server serves the same)."""
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


# Built at collection time: schemathesis' fixture-based loader does not run on pytest 9.
SCHEMA = _generated_schema()
schema = schemathesis.openapi.from_dict(SCHEMA).exclude(operation_id="tokens_revoke")


def test_the_server_serves_the_schema_the_fuzzer_uses(fuzz_site):
    url, _ = fuzz_site
    served = httpx.get(f"{url}/api/v1/schema", params={"format": "json"}, timeout=30)
    assert served.status_code == 200
    assert served.json() == SCHEMA
    docs = httpx.get(f"{url}/api/v1/docs", timeout=30)
    assert docs.status_code == 200 and "/static/drf_spectacular_sidecar/" in docs.text
    assert "cdn" not in docs.text.lower()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_honours_its_schema(case, fuzz_site):
    url, token = fuzz_site
    case.call_and_validate(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=60
    )
