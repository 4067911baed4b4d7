"""Test-wide environment, loaded as an early plugin (``-p tests.support.environment``).

It must run before pytest-django configures Django, because the settings
object is built once per process from these variables: a scratch home, no
hub access, and the Redis/PostgreSQL URLs that stage 2 of ``make test`` gives.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ENCLAVE_HOME"] = os.environ.get("ENCLAVE_TEST_HOME") or tempfile.mkdtemp(
    prefix="enclave-test-"
)
os.environ.setdefault("ENCLAVE_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("ENCLAVE_TORCH_THREADS", "2")
# Exported embedding models (onnx-int8), shared by every test process and server and
# kept between runs: an export takes seconds, each scratch home would repeat it.
os.environ.setdefault(
    "ENCLAVE_MODELS_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test-models")
)
for _name in ("DATABASE_URL", "BROKER_URL"):
    if os.environ.get(f"ENCLAVE_TEST_{_name}"):
        os.environ[f"ENCLAVE_{_name}"] = os.environ[f"ENCLAVE_TEST_{_name}"]

# Stage 2 of `make test` sets this: a missing server then fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("ENCLAVE_REQUIRE_SERVICES") == "1"
# In CI every tool the tests need (Debian chromium) must be there.
IN_CI = os.environ.get("CI") == "true"
