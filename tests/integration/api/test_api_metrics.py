"""``/metrics`` of a live ``enclave serve``, scraped and parsed as Prometheus would.

The server has a metrics token, prometheus_client's multiprocess directory and one
LLM replica (the OpenAI-compatible stand-in). Along the user's path (a document
uploaded through the API, a broken one, a question) each figure moves by exactly
what happened; a scrape without the token is refused, and a server with neither a
token nor client networks (the shared ``api_site``) answers 404.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.api.conftest import wait_documents
from tests.standin.process import start_standin, stop
from tests.support.documents import make_handbook_pdf
from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

METRICS_TOKEN = "scrape-token-0123456789"
MODEL = "standin-llm"
QUESTION = "How many days of paid annual leave do employees get?"
DASHBOARD = Path(__file__).resolve().parents[3] / "ops" / "grafana" / "enclave.json"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class MetricsSite:
    """The server, root's admin token and where its LLM replica and metrics files are."""

    url: str
    token: str
    replica: str
    multiproc_dir: Path

    def client(self, **headers: str) -> httpx.Client:
        """An httpx client with root's token (or the headers given)."""
        headers = headers or {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def metrics_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricsSite]:
    home = tmp_path_factory.mktemp("metrics-home")
    replica, standin = start_standin(model=MODEL)
    multiproc = home / "prometheus"
    env = process_env(
        home,
        ENCLAVE_METRICS_TOKEN=METRICS_TOKEN,
        ENCLAVE_LLM_ENDPOINTS=f"{replica}|{MODEL}",
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
    )
    serve = ServeProcess(env, home / "serve.log")
    try:
        made = run_cli(["user", "root", "--password", "root-pass-123", "--admin"], env)
        assert made.returncode == 0, made.stderr
        created = run_cli(["token", "create", "--user", "root", "--scope", "admin"], env)
        assert created.returncode == 0, created.stderr
        serve.start()
        yield MetricsSite(
            url=serve.url,
            token=created.stdout.strip().splitlines()[-1],
            replica=replica,
            multiproc_dir=multiproc,
        )
    finally:
        serve.stop()
        stop(standin)


def scrape(site: MetricsSite) -> Samples:
    """Every sample of one authorised scrape, by name and labels."""
    with site.client(Authorization=f"Bearer {METRICS_TOKEN}") as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_the_users_path_moves_each_figure_by_what_happened(metrics_site, tmp_path):
    site = metrics_site
    make_handbook_pdf(tmp_path / "handbook.pdf")
    before = scrape(site)
    with site.client() as root:
        collection = root.post("/api/v1/collections", json={"name": "HR", "groups": []})
        assert collection.status_code == 201, collection.text
        upload = f"/api/v1/collections/{collection.json()['id']}/documents"
        handbook = root.post(upload, files={"file": ("handbook.pdf", _read(tmp_path))})
        broken = root.post(upload, files={"file": ("broken.pdf", b"%PDF-1.7\nnot a pdf")})
        assert (handbook.status_code, broken.status_code) == (201, 201), broken.text
        rows = wait_documents(root, [handbook.json()["id"], broken.json()["id"]])
        answer = root.post("/api/v1/ask", json={"question": QUESTION})
    assert answer.status_code == 200, answer.text
    indexed, failed = rows[handbook.json()["id"]], rows[broken.json()["id"]]
    assert (indexed["status"], failed["status"]) == ("indexed", "failed")
    assert (answer.json()["abstained"], answer.json()["model"]) == (False, MODEL)
    after = scrape(site)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("enclave_questions_total", channel="api") == 1
    assert moved("enclave_questions_total", channel="web") == 0
    assert moved("enclave_answers_abstained_total", channel="api") == 0
    ask = {"route": "api/v1/ask", "method": "POST"}
    assert moved("enclave_http_requests_total", **ask, status="200") == 1
    assert moved("enclave_http_request_duration_seconds_count", **ask) == 1
    uploads = {"route": "api/v1/collections/<int:collection_id>/documents", "method": "POST"}
    assert moved("enclave_http_requests_total", **uploads, status="201") == 2
    assert moved("enclave_retrieval_duration_seconds_count") == 1
    replica = {"model": MODEL, "replica": site.replica}
    assert moved("enclave_llm_first_token_seconds_count", **replica) == 1
    assert moved("enclave_llm_tokens_per_second_count", **replica) == 1
    assert value(after, "enclave_llm_replica_up", **replica) == 1
    assert moved("enclave_chunks_indexed_total") == indexed["chunk_count"] > 0
    assert moved("enclave_ingestion_failures_total", reason=failed["error_code"]) == 1
    assert value(after, "enclave_documents", state="indexed") == 1
    assert value(after, "enclave_documents", state="failed") == 1
    assert value(after, "enclave_documents", state="queued") == 0
    # Multiprocess mode: the values came from the shared directory's files.
    assert list(site.multiproc_dir.glob("*.db"))
    # Every series the Grafana dashboard asks for exists on this live server.
    exported = {name for name, _ in after}
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            for name in re.findall(r"\benclave_[a-z0-9_]+", target["expr"]):
                assert name in exported, (panel["title"], name)


def test_a_scrape_without_the_token_is_refused(metrics_site):
    with metrics_site.client(Accept="text/plain") as anonymous:
        missing = anonymous.get("/metrics")
    with metrics_site.client(Authorization="Bearer scrape-token-wrong-000") as guess:
        wrong = guess.get("/metrics")
    # An API token is not the metrics token.
    with metrics_site.client() as root:
        api_token = root.get("/metrics")

    for refused in (missing, wrong, api_token):
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        assert refused.headers["www-authenticate"] == 'Bearer realm="enclave-metrics"'
        assert "enclave_" not in refused.text


def test_a_server_without_metrics_settings_answers_404(api_site):
    with api_site.client("root") as root:
        response = root.get("/metrics")
    with httpx.Client(base_url=api_site.url, timeout=30) as anonymous:
        plain = anonymous.get("/metrics")

    assert (response.status_code, plain.status_code) == (404, 404)
    assert "enclave_" not in response.text + plain.text


def _read(folder: Path) -> bytes:
    return (folder / "handbook.pdf").read_bytes()
