"""Several processes, one scrape: with ``PROMETHEUS_MULTIPROC_DIR`` a web process's
exposition adds up what every process of the machine counted (prometheus_client's
multiprocess mode), dead ones included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]

# A worker process: counts chunks and a failure, then exits.
WORKER = """
from webapp.core.metrics import CHUNKS_INDEXED, INGESTION_FAILURES
CHUNKS_INDEXED.inc({chunks})
INGESTION_FAILURES.labels("parse_error").inc()
"""
# The web process: counts its own chunks, then prints the scrape.
WEB = """
import sys
from webapp.core.metrics import CHUNKS_INDEXED, exposition
CHUNKS_INDEXED.inc(2)
sys.stdout.write(exposition().decode())
"""


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_scrape_adds_up_every_process_sharing_the_directory(tmp_path):
    directory = tmp_path / "prometheus"  # created by the first process that counts
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    _run(WORKER.format(chunks=5), env)
    _run(WORKER.format(chunks=7), env)

    samples = _samples(_run(WEB, env))

    assert samples[("enclave_chunks_indexed_total", ())] == 5 + 7 + 2
    assert samples[("enclave_ingestion_failures_total", (("reason", "parse_error"),))] == 2
    assert len(list(directory.glob("counter_*.db"))) == 3


def test_without_the_directory_a_scrape_shows_only_its_own_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    _run(WORKER.format(chunks=5), env)

    samples = _samples(_run(WEB, env))

    assert samples[("enclave_chunks_indexed_total", ())] == 2
    assert ("process_cpu_seconds_total", ()) in samples  # the default registry's own
