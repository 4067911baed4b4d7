"""Who may scrape ``/metrics`` (token, client networks, both) and how requests are labelled.

This process has no ``PROMETHEUS_MULTIPROC_DIR``: the scrapes read its own registry.
The live server with a token and multiprocess mode: tests/integration/api/test_api_metrics.py.
"""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-01"
BEARER = f"Bearer {TOKEN}"


def requests_counted(client: Client, **labels: str) -> float:
    """``enclave_http_requests_total`` for ``labels``, from a scrape from 10.0.5.9."""
    response = client.get("/metrics", REMOTE_ADDR="10.0.5.9", HTTP_AUTHORIZATION=BEARER)
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == "enclave_http_requests_total" and sample.labels == labels:
                return sample.value
    return 0.0


def test_allowed_networks_alone_let_only_those_addresses_scrape(configure):
    configure(ENCLAVE_METRICS_ALLOWED_NETWORKS='["10.0.5.0/24", "fd00::/8"]')
    client = Client()

    inside = client.get("/metrics", REMOTE_ADDR="10.0.5.9")
    inside_v6 = client.get("/metrics", REMOTE_ADDR="fd00::7")
    outside = client.get("/metrics", REMOTE_ADDR="10.0.6.9")

    assert (inside.status_code, inside_v6.status_code, outside.status_code) == (200, 200, 404)
    assert b"enclave_http_requests_total" in inside.content
    assert b"enclave_" not in outside.content


def test_with_a_token_and_networks_both_must_match(configure):
    configure(ENCLAVE_METRICS_TOKEN=TOKEN, ENCLAVE_METRICS_ALLOWED_NETWORKS='["10.0.5.0/24"]')
    client = Client()

    both = client.get("/metrics", REMOTE_ADDR="10.0.5.9", HTTP_AUTHORIZATION=BEARER)
    no_token = client.get("/metrics", REMOTE_ADDR="10.0.5.9")
    wrong_place = client.get("/metrics", REMOTE_ADDR="192.168.1.4", HTTP_AUTHORIZATION=BEARER)

    assert (both.status_code, no_token.status_code, wrong_place.status_code) == (200, 401, 404)
    assert no_token.json()["code"] == "not_authenticated"


def test_requests_are_counted_by_url_name_never_by_path(configure):
    configure(ENCLAVE_METRICS_TOKEN=TOKEN)
    client = Client()
    # Not /healthz: servers started in this process for other tests poll it.
    health = {"route": "login", "method": "GET", "status": "200"}
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    before = requests_counted(client, **health), requests_counted(client, **unmatched)

    assert client.get("/login/").status_code == 200
    assert client.get("/no-such-page/4711").status_code == 404
    after = requests_counted(client, **health), requests_counted(client, **unmatched)
    scrape = client.get("/metrics", HTTP_AUTHORIZATION=BEARER).content.decode()

    label_values = {
        value
        for family in text_string_to_metric_families(scrape)
        for sample in family.samples
        for value in sample.labels.values()
    }

    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert "unmatched" in label_values
    assert not [value for value in label_values if "no-such-page" in value or "4711" in value]
