"""Shared fixtures; the environment itself is set by ``tests/support/environment.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.environment import REQUIRE_SERVICES

__all__ = ["REQUIRE_SERVICES", "enclave_home", "services_urls"]


def services_urls() -> tuple[str | None, str | None]:
    """The PostgreSQL and Redis URLs the suite was given, if any."""
    return os.environ.get("ENCLAVE_TEST_DATABASE_URL"), os.environ.get("ENCLAVE_TEST_BROKER_URL")


@pytest.fixture(scope="session")
def enclave_home() -> Path:
    """The scratch home directory of this test process."""
    return Path(os.environ["ENCLAVE_HOME"])
