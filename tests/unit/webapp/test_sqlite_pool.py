"""An answer thread's SQLite connection is reused by the next thread, only on the same file."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.webapp.test_sqlite_writers import _connection
from webapp.core.sqlite import pool


@pytest.fixture(autouse=True)
def _unblocked(django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield
    pool.close_kept()


def _in_thread(path: Path, work: Any, *, reuse: bool = True) -> Any:
    """Open a connection on a thread of its own, run ``work`` on it, close it as an answer does."""
    result: list[Any] = []

    def run() -> None:
        connection = _connection(path)
        connection.ensure_connection()
        result.append(work(connection))
        if reuse:
            connection.close_for_reuse()
        else:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0]


def _raw(connection: Any) -> sqlite3.Connection:
    return connection.connection


def _notes(connection: Any) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM note ORDER BY text")
        return [row[0] for row in cursor.fetchall()]


def _write(text: str) -> Any:
    def work(connection: Any) -> sqlite3.Connection:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS note (text TEXT)")
            cursor.execute("INSERT INTO note VALUES (%s)", [text])
        return _raw(connection)

    return work


def test_the_next_thread_takes_the_connection_an_answer_thread_left(tmp_path: Path) -> None:
    path = tmp_path / "pool.sqlite3"
    first = _in_thread(path, _write("first"))
    second = _in_thread(path, _write("second"))
    assert second is first
    assert _in_thread(path, _notes) == ["first", "second"]

    # A plain close (every close but an answer thread's) closes: the next one is new.
    _in_thread(path, _raw, reuse=False)
    assert _in_thread(path, _raw) is not first


def test_a_replaced_file_is_opened_anew(tmp_path: Path) -> None:
    path = tmp_path / "pool.sqlite3"
    _in_thread(path, _write("before the restore"))
    replacement = tmp_path / "restored.sqlite3"
    with sqlite3.connect(replacement) as restored:
        restored.execute("CREATE TABLE note (text TEXT)")
        restored.execute("INSERT INTO note VALUES ('restored')")
    restored.close()
    pool.close_kept()  # as database_restore does before it replaces the file
    os.replace(replacement, path)
    assert _in_thread(path, _notes) == ["restored"]


def test_a_kept_connection_on_a_file_replaced_behind_its_back_is_not_reused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pool.sqlite3"
    _in_thread(path, _write("old"))
    replacement = tmp_path / "other.sqlite3"
    with sqlite3.connect(replacement) as other:
        other.execute("CREATE TABLE note (text TEXT)")
        other.execute("INSERT INTO note VALUES ('new')")
    other.close()
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink()
    os.replace(replacement, path)
    assert _in_thread(path, _notes) == ["new"]
