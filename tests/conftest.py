"""Test-wide environment: a scratch home, no hub access, and the service URLs for CI.

This module runs before Django is configured, so the settings object built
for the test process sees these variables.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ENCLAVE_HOME"] = os.environ.get("ENCLAVE_TEST_HOME") or tempfile.mkdtemp(prefix="enclave-test-")
os.environ.setdefault("ENCLAVE_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("ENCLAVE_TORCH_THREADS", "2")
# Stage 2 of `make test` points the same suite at Redis and PostgreSQL.
for name in ("DATABASE_URL", "BROKER_URL"):
    if os.environ.get(f"ENCLAVE_TEST_{name}"):
        os.environ[f"ENCLAVE_{name}"] = os.environ[f"ENCLAVE_TEST_{name}"]

REQUIRE_SERVICES = os.environ.get("ENCLAVE_REQUIRE_SERVICES") == "1" or os.environ.get("CI") == "true"


def services_urls() -> tuple[str | None, str | None]:
    """The PostgreSQL and Redis URLs the suite was given, if any."""
    return os.environ.get("ENCLAVE_TEST_DATABASE_URL"), os.environ.get("ENCLAVE_TEST_BROKER_URL")


@pytest.fixture(scope="session")
def enclave_home() -> Path:
    """The scratch home directory of this test process."""
    return Path(os.environ["ENCLAVE_HOME"])
