"""Load: many users at once on a live server get no server error, and every upload is indexed.

The short version of the benchmark (``python -m ops.bench.api_load --clients 50
--duration 60 --standin ...``, figures in ``ops/bench/results/load_50_users.md``):
20 simulated users for 15 s on the embedded setup, answers from the OpenAI
stand-in, each user searching, asking through the REST API, ``/v1`` and the web
chat (signed in, streaming), listing documents and uploading new files. It asserts
no server error (5xx, failed answer stream, dropped connection) and no refusal,
never a time.
"""

from __future__ import annotations

import time

import httpx
import pytest

from ops.bench.api_load import embedded_site, parse_mix, run_load, warm_up

pytestmark = [pytest.mark.load, pytest.mark.timeout(900)]

MIX = "search=4,ask=2,chat=1,web=2,upload=1,documents=1"
CLIENTS, DURATION_S = 20, 15


def _documents(client: httpx.Client, status: str) -> int:
    reply = client.get("/api/v1/documents", params={"status": status, "limit": 1})
    assert reply.status_code == 200, reply.text
    return reply.json()["count"]


def test_twenty_users_at_once_get_no_server_error() -> None:
    kinds = parse_mix(MIX)
    with embedded_site(threads=1, standin=True) as site:
        warm_up(site)
        run_load(site, kinds, CLIENTS, DURATION_S)
        headers = {"Authorization": f"Bearer {site.token}"}
        with httpx.Client(base_url=site.url, headers=headers, timeout=60) as client:
            deadline = time.monotonic() + 300
            in_flight = ("queued", "parsing", "embedding")
            while sum(_documents(client, s) for s in in_flight) and time.monotonic() < deadline:
                time.sleep(1)
            indexed, failed = _documents(client, "indexed"), _documents(client, "failed")
        errors_logged = [line for line in site.log_path.read_text().splitlines() if "ERROR" in line]

    errors = {kind.name: (kind.server_errors, kind.refused) for kind in kinds.values()}
    failures = {kind.name: kind.failures for kind in kinds.values() if kind.failures}
    assert errors == dict.fromkeys(kinds, (0, 0)), (failures, errors_logged[:20])
    done = {kind.name: len(kind.latencies_ms) > 0 for kind in kinds.values()}
    assert done == dict.fromkeys(kinds, True)
    # The six handbook pages and every upload, all indexed.
    uploads = len(kinds["upload"].latencies_ms)
    assert (indexed, failed) == (6 + uploads, 0)
