"""Nothing leaves the machine: Enclave at work inside a network namespace makes no outside contact.

``egress_probe.py`` runs as root under ``unshare --net --mount`` (loopback only,
a DNS sinkhole that records every query, listeners on 443 and 80, strace on
every ``enclave`` process) through a first start, ingestion and questions on
the web, the REST API, ``/v1`` and the terminal. Any DNS query, any connection
to the sinkhole's 443/80, or any connect/sendto to a non-loopback address fails
the test. It caught onnxruntime's telemetry (mobile.events.data.microsoft.com),
also once ``disable_telemetry_events()`` was called (``retrieval/telemetry.py``).
CI runs it as root (Debian: iproute2, strace, util-linux); elsewhere it is
skipped when not root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.environment import IN_CI

pytestmark = pytest.mark.timeout(1500)

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("unshare", "ip", "strace", "mount")


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if os.geteuid() != 0:
        pytest.skip("needs root: a network namespace and a DNS sinkhole on port 53")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        _skip_or_fail(f"missing {', '.join(missing)} (ops/services/install-system-deps.sh)")
    folder = tmp_path_factory.mktemp("egress")
    resolv = folder / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
    out = folder / "report.json"
    script = (
        "set -e; ip link set lo up; "
        f"mount --bind {resolv} /etc/resolv.conf; "
        f'exec "{sys.executable}" -m tests.system.egress_probe {out}'
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
    )
    assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def test_the_work_itself_succeeded_offline(report):
    assert report["error"] == ""
    assert report["traced"] == [
        "ask.trace",
        "ingest.trace",
        "serve.trace",
        "token.trace",
        "u.trace",
    ]


def test_the_sinkhole_sees_lookups(report):
    # The probe's own control lookup: without it an empty list would prove nothing.
    assert "egress-canary.invalid type=1" in report["dns"]


def test_no_name_is_looked_up(report):
    assert [q for q in report["dns"] if not q.startswith("egress-canary.invalid")] == []


def test_nothing_connects_to_https_or_http(report):
    assert report["connections"] == []


def test_no_process_tries_an_outside_address(report):
    assert {name: lines for name, lines in report["non_loopback"].items() if lines} == {}
