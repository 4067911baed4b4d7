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
from tests.support.server import ServeProcess, cli, process_env, token_create

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

METRICS_TOKEN = "scrape-token-0123456789"
MODEL = "standin-llm"
QUESTION = "How many days of paid annual leave do employees get?"
OFF_TOPIC = "Which volcano erupted on Iceland's Reykjanes peninsula in 2021?"
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
        cli(["user", "root", "--password", "root-pass-123", "--admin"], env)
        token = token_create(env, user="root", name="scraper", scope="admin")
        serve.start()
        yield MetricsSite(
            url=serve.url,
            token=token,
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


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much one series grew between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)


@dataclass
class Ingested:
    """The handbook (indexed) and a broken PDF (failed), uploaded through the API."""

    handbook: dict
    broken: dict
    before: Samples
    after: Samples


@pytest.fixture(scope="module")
def ingested(metrics_site, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    pdf = make_handbook_pdf(tmp_path_factory.mktemp("metrics-docs") / "handbook.pdf")
    before = scrape(metrics_site)
    with metrics_site.client() as root:
        collection = root.post("/api/v1/collections", json={"name": "HR", "groups": []})
        assert collection.status_code == 201, collection.text
        upload = f"/api/v1/collections/{collection.json()['id']}/documents"
        handbook = root.post(upload, files={"file": ("handbook.pdf", pdf.read_bytes())})
        broken = root.post(upload, files={"file": ("broken.pdf", b"%PDF-1.7\nnot a pdf")})
        assert (handbook.status_code, broken.status_code) == (201, 201), broken.text
        ids = [handbook.json()["document"]["id"], broken.json()["document"]["id"]]
        rows = wait_documents(root, ids)
    return Ingested(rows[ids[0]], rows[ids[1]], before, scrape(metrics_site))


def test_uploads_move_the_ingestion_figures(metrics_site, ingested):
    before, after = ingested.before, ingested.after

    assert (ingested.handbook["status"], ingested.broken["status"]) == ("indexed", "failed")
    chunks = ingested.handbook["chunk_count"]
    assert moved(before, after, "enclave_chunks_indexed_total") == chunks > 0
    reason = ingested.broken["error_code"]
    assert moved(before, after, "enclave_ingestion_failures_total", reason=reason) == 1
    states = {"indexed": 1, "failed": 1, "queued": 0, "parsing": 0, "embedding": 0}
    assert {s: value(after, "enclave_documents", state=s) for s in states} == states
    uploads = {"route": "api/v1/collections/<int:collection_id>/documents", "method": "POST"}
    assert moved(before, after, "enclave_http_requests_total", **uploads, status="201") == 2
    # Multiprocess mode: the worker thread's figures came through the shared directory.
    assert list(metrics_site.multiproc_dir.glob("*.db"))


def test_a_question_moves_the_answer_figures(metrics_site, ingested):
    replica = {"model": MODEL, "replica": metrics_site.replica}
    ask = {"route": "api/v1/ask", "method": "POST"}
    with metrics_site.client() as root:
        before = scrape(metrics_site)
        answer = root.post("/api/v1/ask", json={"question": QUESTION})
        answered = scrape(metrics_site)
        unanswerable = root.post("/api/v1/ask", json={"question": OFF_TOPIC})
        abstained = scrape(metrics_site)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["abstained"], answer.json()["model"]) == (False, MODEL)
    assert unanswerable.json()["abstained"] is True

    assert moved(before, answered, "enclave_questions_total", channel="api") == 1
    assert moved(before, answered, "enclave_questions_total", channel="web") == 0
    assert moved(before, answered, "enclave_answers_abstained_total", channel="api") == 0
    assert moved(before, answered, "enclave_http_requests_total", **ask, status="200") == 1
    assert moved(before, answered, "enclave_http_request_duration_seconds_count", **ask) == 1
    assert moved(before, answered, "enclave_retrieval_duration_seconds_count") == 1
    assert moved(before, answered, "enclave_llm_first_token_seconds_count", **replica) == 1
    assert moved(before, answered, "enclave_llm_tokens_per_second_count", **replica) == 1
    assert value(answered, "enclave_llm_replica_up", **replica) == 1
    # An abstention is counted, and asks no model.
    assert moved(answered, abstained, "enclave_questions_total", channel="api") == 1
    assert moved(answered, abstained, "enclave_answers_abstained_total", channel="api") == 1
    assert moved(answered, abstained, "enclave_llm_first_token_seconds_count", **replica) == 0


def test_every_dashboard_query_names_a_series_of_the_live_server(metrics_site, ingested):
    # Series with labels exist once used: an answer and an abstention make them.
    with metrics_site.client() as root:
        for question in (QUESTION, OFF_TOPIC):
            assert root.post("/api/v1/ask", json={"question": question}).status_code == 200
    exported = {name for name, _ in scrape(metrics_site)}
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
