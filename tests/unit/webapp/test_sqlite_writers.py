"""The SQLite backend: a process's writers queue on a lock instead of meeting SQLITE_BUSY.

SQLite's own busy timeout is 0 here, so any write that collided with another thread's
inside SQLite would fail at once with "database is locked"; only the backend's lock
lets every one of them through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import OperationalError

from webapp.core.sqlite.base import DatabaseWrapper

THREADS = 8
WRITES = 40


def _connection(path: Path, **options: Any) -> DatabaseWrapper:
    settings = {
        "ENGINE": "webapp.core.sqlite",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": 0,
            "writer_timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            **options,
        },
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias=f"writers-{threading.get_ident()}")


@pytest.fixture
def database(tmp_path: Path, _unblocked: None) -> Iterator[Path]:
    """A scratch SQLite file of its own (not the test database), open to these tests.

    One connection stays open throughout, as the server's do: the last connection to
    close deletes the WAL, and opening one then recovers it under a lock of its own.
    """
    path = tmp_path / "writers.sqlite3"
    keeper = _connection(path)
    with keeper.cursor() as cursor:
        cursor.execute("CREATE TABLE note (thread INTEGER, n INTEGER)")
    yield path
    keeper.close()


@pytest.fixture(autouse=True)
def _unblocked(django_db_blocker: Any) -> Iterator[None]:
    # pytest-django blocks every connection outside a django_db test, scratch files too.
    with django_db_blocker.unblock():
        yield


def _write_from_threads(path: Path, write: Any) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)
    opening = threading.Lock()

    def run(thread: int) -> None:
        connection = _connection(path)
        try:
            with opening:  # connecting reads the WAL index: not what is tested here
                connection.ensure_connection()
            start.wait()
            for n in range(WRITES):
                write(connection, thread, n)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _rows(path: Path) -> list[tuple[int, int]]:
    connection = _connection(path)
    with connection.cursor() as cursor:
        cursor.execute("SELECT thread, n FROM note ORDER BY thread, n")
        rows = [tuple(row) for row in cursor.fetchall()]
    connection.close()
    return rows


def _expected() -> list[tuple[int, int]]:
    return [(t, n) for t in range(THREADS) for n in range(WRITES)]


def test_concurrent_autocommit_writes_all_land_without_a_busy_error(database: Path) -> None:
    def insert(connection: DatabaseWrapper, thread: int, n: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note (thread, n) VALUES (%s, %s)", [thread, n])

    assert _write_from_threads(database, insert) == []
    assert _rows(database) == _expected()


def test_transactions_hold_the_writer_until_they_commit(database: Path) -> None:
    def insert_pair(connection: DatabaseWrapper, thread: int, n: int) -> None:
        # How transaction.atomic() starts a transaction on SQLite (BEGIN IMMEDIATE); the
        # second statement must not meet another thread's write either.
        connection.ensure_connection()
        connection._start_transaction_under_autocommit()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note (thread, n) VALUES (%s, %s)", [thread, -n - 1])
            cursor.execute(
                "UPDATE note SET n = %s WHERE thread = %s AND n = %s", [n, thread, -n - 1]
            )
        connection.commit()

    assert _write_from_threads(database, insert_pair) == []
    assert _rows(database) == _expected()


def test_a_writer_waits_no_longer_than_writer_timeout(database: Path) -> None:
    holder = _connection(database)
    holder.acquire_writer()
    try:
        waiting = _connection(database, writer_timeout=0.05)
        with pytest.raises(OperationalError, match="database is locked"), waiting.cursor() as c:
            c.execute("INSERT INTO note (thread, n) VALUES (1, 1)")
        waiting.close()
    finally:
        holder.release_writer()
        holder.close()
    assert _rows(database) == []
