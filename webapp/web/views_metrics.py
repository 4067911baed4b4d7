"""``GET /metrics``: the Prometheus exposition, for a scraper holding the token or address.

Off (404, as if there were no such page) until ``ENCLAVE_METRICS_TOKEN`` or
``ENCLAVE_METRICS_ALLOWED_NETWORKS`` is set. The counters and histograms come from
``webapp.core.metrics``; documents by state and replica health are read here, at
scrape time, from the database and from this process's model router.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from webapp.config.sections import MetricsSettings
from webapp.config.settings import get_settings
from webapp.core.engines import get_chat_router
from webapp.core.metrics import CONTENT_TYPE, exposition
from webapp.knowledge.models import Document, DocumentStatus

__all__ = ["DocumentStates", "ReplicaHealth", "metrics", "scrape_collectors"]


class DocumentStates:
    """``enclave_documents{state}``: documents per ingestion state, counted at scrape time."""

    def describe(self) -> Iterator[Metric]:
        """The family without reading the database."""
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        """One sample per state, zeros included (a state that empties shows 0, not a gap)."""
        counts = dict(
            Document.objects.values_list("status").annotate(n=Count("id")).order_by("status")
        )
        family = self._family()
        for state in DocumentStatus.values:
            family.add_metric([state], counts.get(state, 0))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "enclave_documents", "Documents by ingestion state.", labels=["state"]
        )


class ReplicaHealth:
    """``enclave_llm_replica_up{model, replica}``: 1 when the replica is in the rotation."""

    def describe(self) -> Iterator[Metric]:
        """The family without building the model router."""
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        """This process's view: the last health check and the last call of each replica."""
        family = self._family()
        for status in get_chat_router().replica_status():
            family.add_metric([status.model, status.base_url], 1.0 if status.up else 0.0)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "enclave_llm_replica_up",
            "1 when an LLM replica passes its health checks and is not cooling off, else 0.",
            labels=["model", "replica"],
        )


def scrape_collectors() -> tuple[Collector, ...]:
    """The figures read at scrape time, added to the counters of every process."""
    return (DocumentStates(), ReplicaHealth())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format, or 404 / 401 for who may not read them."""
    config = get_settings().metrics
    if not config.enabled or not _address_allowed(config, request):
        raise Http404
    if config.token is not None and not _token_matches(config, request):
        response = JsonResponse(
            {"code": "not_authenticated", "message": "A valid metrics token is required."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="enclave-metrics"'
        return response
    return HttpResponse(exposition(scrape_collectors()), content_type=CONTENT_TYPE)


def _address_allowed(config: MetricsSettings, request: HttpRequest) -> bool:
    """Whether the client's address (as the trusted proxy gave it) may scrape."""
    if not config.allowed_networks:
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = (ipaddress.ip_network(n, strict=False) for n in config.allowed_networks)
    return any(client in network for network in networks)


def _token_matches(config: MetricsSettings, request: HttpRequest) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = config.token.get_secret_value() if config.token else ""
    # Constant time: the comparison must not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )
