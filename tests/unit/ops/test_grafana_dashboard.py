"""``ops/grafana/enclave.json`` loads, and every panel queries metrics the app exports.

The exported names come from the collectors a scrape of ``/metrics`` uses (their
``describe()``), turned into series names by Prometheus' rules (a counter's
``_total``, a histogram's ``_bucket``, ``_sum`` and ``_count``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from webapp.core.metrics import app_collectors
from webapp.web.views_metrics import scrape_collectors

DASHBOARD = Path(__file__).resolve().parents[3] / "ops" / "grafana" / "enclave.json"
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


def exported_series() -> set[str]:
    """The series names a scrape shows for Enclave's own metrics."""
    names: set[str] = set()
    for collector in (*app_collectors(), *scrape_collectors()):
        for family in collector.describe():
            names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def test_the_dashboard_is_grafana_json_with_panels_and_queries():
    dashboard = json.loads(DASHBOARD.read_text())

    assert dashboard["uid"] == "enclave"
    assert len(dashboard["panels"]) == 12
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        assert all(target["expr"].strip() for target in panel["targets"])


def test_every_panel_queries_an_exported_metric():
    exported = exported_series()
    queried: set[str] = set()
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            names = set(re.findall(r"\benclave_[a-z0-9_]+", target["expr"]))
            assert names, (panel["title"], target["expr"])
            assert names <= exported, (panel["title"], names - exported)
            queried |= names
    # And the dashboard leaves none of the families out.
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in queried}
    assert families == {re.sub(r"_(total|bucket|sum|count)$", "", n) for n in exported}
