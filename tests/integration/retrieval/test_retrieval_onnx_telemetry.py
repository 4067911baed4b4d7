"""onnxruntime's telemetry (1DS, to Microsoft) is off in every process that uses Enclave.

Only ``ORT_DISABLE_TELEMETRY=1`` set before onnxruntime is imported stops the
upload; ``retrieval`` sets it when it is imported, and the ONNX embedder
refuses to run in a process that imported onnxruntime earlier. Each case runs
in a fresh process whose environment lacks the variable.
``tests/system/test_egress.py`` shows the effect from outside: no DNS query
and no connection leave the host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

IMPORT_FIRST = """
import json, os, sys
from pathlib import Path
import retrieval

state = {
    "variable": os.environ.get("ORT_DISABLE_TELEMETRY"),
    "imported": "onnxruntime" in sys.modules,
}
import onnxruntime as ort

calls = []
real_disable, real_session = ort.disable_telemetry_events, ort.InferenceSession

def disable():
    calls.append("disable_telemetry")
    real_disable()

class Session(real_session):
    def __init__(self, *args, **kwargs):
        calls.append("session")
        super().__init__(*args, **kwargs)

ort.disable_telemetry_events = disable
ort.InferenceSession = Session
embedder = retrieval.load_embedder(
    retrieval.EmbeddingConfig(
        model="all-MiniLM-L6-v2", backend="onnx-int8", cache_dir=Path(sys.argv[1]), threads=1
    )
)
embedder.embed_query("annual leave")
print(json.dumps({**state, "calls": calls}))
"""

ONNXRUNTIME_FIRST = """
import sys
from pathlib import Path
import onnxruntime
import retrieval

try:
    retrieval.load_embedder(
        retrieval.EmbeddingConfig(
        model="all-MiniLM-L6-v2", backend="onnx-int8", cache_dir=Path(sys.argv[1]), threads=1
    )
    )
except retrieval.EmbeddingModelError as exc:
    print(exc)
"""


def _run(script: str) -> str:
    models = Path(os.environ["ENCLAVE_MODELS_DIR"])
    models.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(models)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_importing_retrieval_switches_telemetry_off_before_onnxruntime_loads() -> None:
    seen = json.loads(_run(IMPORT_FIRST))

    assert seen["variable"] == "1"
    assert seen["imported"] is False
    assert seen["calls"][0] == "disable_telemetry"
    assert "session" in seen["calls"]


def test_a_process_that_imported_onnxruntime_first_gets_no_onnx_embedder() -> None:
    printed = _run(ONNXRUNTIME_FIRST)

    assert printed.startswith("onnxruntime was imported before Enclave switched its telemetry off")
