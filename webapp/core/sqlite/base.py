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

from webapp.core.sqlite import pool

__all__ = ["DatabaseWrapper"]

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    """Holds the process's writer lock for a transaction, or for one autocommit write."""

    holds_writer = False
    # (device, inode) of the file the connection was opened on (``pool`` says why).
    file_identity: tuple[int, int] | None = None
    # Set by ``close_for_reuse`` only: every other close closes.
    _keep = False

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

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        """A connection another thread closed (``pool``), else a new one."""
        if self.is_in_memory_db():
            return super().get_new_connection(conn_params)
        path = str(conn_params["database"])
        kept = pool.take(path)
        if kept is not None:
            connection, self.file_identity = kept
            return connection
        connection = super().get_new_connection(conn_params)
        self.file_identity = pool.file_identity(path)
        return connection

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

    def close_for_reuse(self) -> None:
        """Close, handing the open connection to the next thread that opens one (``pool``)."""
        self._keep = True
        try:
            self.close()
        finally:
            self._keep = False

    def _close(self) -> None:
        try:
            if not (self._keep and self._kept()):
                super()._close()
        finally:
            self.release_writer()

    def _kept(self) -> bool:
        """Whether the connection went to ``pool`` for the next thread instead of closing."""
        if self.connection is None or self.in_atomic_block or self.errors_occurred:
            return False
        if self.is_in_memory_db():
            return False
        path = str(self.settings_dict["NAME"])
        return pool.give(path, self.connection, self.file_identity)

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
