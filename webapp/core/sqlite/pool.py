"""Open SQLite connections handed from a thread that ends to the next thread that starts.

Every streamed answer runs on a thread of its own (``webapp/chat/sse.py``), so each
answer opened a connection (``sqlite3.connect``, its functions and three PRAGMAs)
and closed it at the end: about a tenth of a question's CPU in the web process
outside retrieval. An answer thread that ends keeps its connection here instead
(``close_thread_connections``; every other close closes) and the next thread
opening one on the same file takes it. A connection is only reused on
the file it was opened on: a restore that replaces the database file (another
inode) leaves the kept ones unused. A restore closes them before it replaces the
file (``close_kept``): closing the last connection to a replaced file would delete
the new file's WAL, which has the same name.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from django.db import connections

__all__ = ["KEPT", "close_kept", "close_thread_connections", "file_identity", "give", "take"]

# Connections kept per process and file: more than the answers that end at once.
KEPT = 32

_lock = threading.Lock()
# (pid, path) -> [(connection, file identity)]; the pid: a forked child opens its own.
_kept: dict[tuple[int, str], list[tuple[sqlite3.Connection, tuple[int, int]]]] = {}


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the database file; None when it does not exist (yet)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def take(path: str) -> tuple[sqlite3.Connection, tuple[int, int]] | None:
    """A kept connection to the file at ``path`` as it is now, else None."""
    now = file_identity(path)
    stale = []
    found = None
    with _lock:
        kept = _kept.get((os.getpid(), path), [])
        while kept and found is None:
            connection, identity = kept.pop()
            if identity == now:
                found = connection, identity
            else:
                stale.append(connection)
    for connection in stale:
        connection.close()
    return found


def give(path: str, connection: sqlite3.Connection, identity: tuple[int, int] | None) -> bool:
    """Keep ``connection`` for the next thread; False (the caller closes it) when it cannot be."""
    if identity is None or connection.in_transaction:
        return False
    with _lock:
        kept = _kept.setdefault((os.getpid(), path), [])
        if len(kept) >= KEPT:
            return False
        kept.append((connection, identity))
    return True


def close_thread_connections() -> None:
    """Close this thread's connections, keeping SQLite ones for the next thread."""
    for connection in connections.all(initialized_only=True):
        getattr(connection, "close_for_reuse", connection.close)()


def close_kept() -> None:
    """Close every kept connection (before the database file is replaced)."""
    with _lock:
        kept = [connection for entries in _kept.values() for connection, _ in entries]
        _kept.clear()
    for connection in kept:
        connection.close()
