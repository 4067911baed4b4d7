"""onnxruntime's telemetry (1DS, to Microsoft) is switched off before any session exists.

Run in a fresh process, so that no earlier test has switched it off already:
the real ``disable_telemetry_events`` and ``InferenceSession`` are wrapped to
record their order while the real embedder loads. ``tests/system/test_egress.py``
shows the effect from outside: no DNS query and no connection leave the host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LOAD_SCRIPT = """
import json, sys
from pathlib import Path
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
from retrieval import EmbeddingConfig, load_embedder

embedder = load_embedder(
    EmbeddingConfig(backend="onnx-int8", cache_dir=Path(sys.argv[1]), threads=1)
)
embedder.embed_query("annual leave")
print(json.dumps(calls))
"""


def test_telemetry_is_off_before_the_first_onnxruntime_session() -> None:
    models = Path(os.environ["ENCLAVE_MODELS_DIR"])
    models.mkdir(parents=True, exist_ok=True)

    done = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, str(models)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    calls = json.loads(done.stdout.strip().splitlines()[-1])
    assert "session" in calls
    assert calls[0] == "disable_telemetry"
