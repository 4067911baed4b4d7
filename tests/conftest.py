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


# Integration tests that touch neither the database nor the broker (the vector store,
# the embedder, the model servers): stage 2 would only run them a second time. A test
# elsewhere under integration/ marked ``engines`` by hand is one of them too.
ENGINE_ONLY_DIRS = frozenset({"retrieval", "inference", "quality"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under integration/ and e2e/ that use the database or broker run again in stage 2."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            below = parts[parts.index("integration") + 1]
            engine_only = below in ENGINE_ONLY_DIRS or item.get_closest_marker("engines")
            item.add_marker(pytest.mark.engines if engine_only else pytest.mark.integration)
        elif "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
