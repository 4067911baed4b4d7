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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under integration/ and e2e/ run again in stage 2 (Redis, PostgreSQL)."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        elif "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
