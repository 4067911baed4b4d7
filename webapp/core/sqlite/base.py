"""Django's SQLite backend, with the writers of one process queueing on a lock.

SQLite lets one connection write at a time. Another writer gets SQLITE_BUSY, and
the busy handler behind the ``timeout`` option sleeps 1, 2, 5, 10 ... 100 ms between
tries. With dozens of answer threads storing their messages at once, those sleeps
cost more than the writes: measured at 32 concurrent chats, statements waited 35,
55, 80 ... 230 ms, exactly the handler's cumulative sleeps. Here the threads of one
process queue on a lock instead and each takes over the moment the previous writer
commits. Reads need no lock (WAL). Writers in other processes (the CLI beside
``enclave serve``) still meet SQLite's own busy timeout.

``OPTIONS["writer_timeout"]`` bounds the wait for the lock (default: the ``timeout``
option, as long as SQLite itself would wait); past it the write fails as SQLite's
would, with "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.utils import OperationalError

__all__ = ["DatabaseWrapper"]

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    """Holds the process's writer lock for a transaction, or for one autocommit write."""

    holds_writer = False

    @property
    def writer_timeout(self) -> float:
        """Seconds to wait for the lock: ``writer_timeout``, else SQLite's ``timeout``."""
        options = self.settings_dict["OPTIONS"]
        return float(options.get("writer_timeout", options.get("timeout", 5)))

    def get_connection_params(self) -> dict[str, Any]:
        """Django's, less ``writer_timeout`` (not an option of ``sqlite3.connect``)."""
        params = super().get_connection_params()
        params.pop("writer_timeout", None)
        return params

    def acquire_writer(self) -> None:
        """Wait for the other writers of this process, at most ``writer_timeout`` seconds."""
        if not _writer.acquire(timeout=self.writer_timeout):
            raise OperationalError("database is locked")
        self.holds_writer = True

    def release_writer(self) -> None:
        """Let the next writer in (no-op when this connection holds no lock)."""
        if self.holds_writer:
            self.holds_writer = False
            _writer.release()

    def _start_transaction_under_autocommit(self) -> None:
        # BEGIN IMMEDIATE takes SQLite's write lock for the whole atomic block.
        self.acquire_writer()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self.release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self.release_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self.release_writer()

    def make_cursor(self, cursor: Any) -> CursorWrapper:
        """A cursor whose autocommit writes wait for the writer lock."""
        return _WriterCursor(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        """The same, logging queries (DEBUG, query-counting tests)."""
        return _WriterDebugCursor(cursor, self)


class _Writes:
    """Takes the writer lock around a statement that may write, outside a transaction."""

    db: DatabaseWrapper

    def _execute(self, sql: str, params: Any, *ignored: Any) -> Any:
        with _writing(self.db, sql):
            return super()._execute(sql, params, *ignored)  # type: ignore[misc]

    def _executemany(self, sql: str, param_list: Any, *ignored: Any) -> Any:
        with _writing(self.db, sql):
            return super()._executemany(sql, param_list, *ignored)  # type: ignore[misc]


@contextmanager
def _writing(db: DatabaseWrapper, sql: str) -> Iterator[None]:
    if db.holds_writer or sql.lstrip()[:6].upper() == "SELECT":
        yield
        return
    db.acquire_writer()
    try:
        yield
    finally:
        db.release_writer()


class _WriterCursor(_Writes, CursorWrapper):
    pass


class _WriterDebugCursor(_Writes, CursorDebugWrapper):
    pass
