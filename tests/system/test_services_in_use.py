"""Stage 2 really runs on PostgreSQL and Redis: a missing server fails here, never skips."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.support.environment import REQUIRE_SERVICES

pytestmark = [pytest.mark.services, pytest.mark.django_db]

needs_services = pytest.mark.skipif(
    not REQUIRE_SERVICES, reason="stage 2 only (make test starts Redis and PostgreSQL)"
)


@needs_services
def test_the_database_is_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
    assert connection.vendor == "postgresql"
    assert version.startswith("PostgreSQL 15")


@needs_services
def test_the_broker_is_redis_and_answers():
    from worker.celery_app import app

    assert app.conf.broker_url.startswith("redis://127.0.0.1:")
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=5)
        assert broker.transport.driver_name == "redis"
