"""Copy the database into a backup and back: SQLite's online backup API, or pg_dump/pg_restore.

SQLite's backup API copies a consistent database while ``enclave serve`` keeps
writing (it restarts the copy when a write lands mid-way, and WAL readers never
block). pg_dump reads one snapshot of a live PostgreSQL; both programs must be
on PATH, of the server's major version or newer. The password goes to them in
the environment (``PGPASSWORD``), never on the command line.

A SQLite backup also restores into PostgreSQL: the way an installation moves off
the embedded defaults. The backup's file is opened as a second database,
migrated to this version, and its rows copied with Django's serializers
(``dumpdata``/``loaddata``, JSON lines, read one line at a time): primary keys
are kept, so ids in URLs, tokens and the index stay valid, and loaddata moves
PostgreSQL's sequences past them. Content types and permissions are this
database's own (references to them travel by natural key).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.db import connection, connections

from webapp.backup.manifest import BackupError
from webapp.core.sqlite.pool import close_kept

__all__ = ["SQLITE_FILE", "PG_FILE", "database_backup", "database_kind", "database_restore"]

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PAGES_PER_STEP = 1024
SOURCE_ALIAS = "enclave_backup_source"
# Made again by this database's migrations; the rows pointing at them carry natural keys.
NOT_COPIED = ("contenttypes", "auth.permission")
LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
}


def database_kind() -> str:
    """'sqlite' or 'postgresql' (the configured database)."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def database_backup(target: Path) -> str:
    """Write the database into the folder ``target``; returns the file's name."""
    if database_kind() == "sqlite":
        source = sqlite3.connect(connection.settings_dict["NAME"])
        copy = sqlite3.connect(target / SQLITE_FILE)
        try:
            with copy:
                source.backup(copy, pages=PAGES_PER_STEP)
        finally:
            copy.close()
            source.close()
        return SQLITE_FILE
    _run(
        "pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target / PG_FILE}"
    )
    return PG_FILE


def database_restore(source: Path, kind: str) -> None:
    """Replace the configured database with the backup's (``kind`` is the manifest's)."""
    if (kind, database_kind()) == ("sqlite", "postgresql"):
        _sqlite_into_postgresql(source / SQLITE_FILE)
        return
    if kind != database_kind():
        raise BackupError(
            f"The backup holds a {kind} database; this home is configured for "
            f"{database_kind()} (ENCLAVE_DATABASE_URL). A SQLite backup restores into "
            "PostgreSQL too; a PostgreSQL backup only into PostgreSQL."
        )
    connections.close_all()
    close_kept()  # the answers' kept connections too (webapp/core/sqlite/pool.py)
    if kind == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        for stale in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(source / SQLITE_FILE, name)
        return
    # --clean --if-exists: a forced restore drops what the dump recreates.
    _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        f"--dbname={connection.settings_dict['NAME']}",
        str(source / PG_FILE),
    )


def _sqlite_into_postgresql(backup_file: Path) -> None:
    """Copy every row of a SQLite backup into the configured (PostgreSQL) database."""
    with tempfile.TemporaryDirectory(prefix="enclave-restore-") as scratch:
        copy = Path(scratch) / SQLITE_FILE  # migrated here, the backup stays as it was
        shutil.copyfile(backup_file, copy)
        connections.databases[SOURCE_ALIAS] = {
            **connections.databases["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(copy),
            "OPTIONS": {},
        }
        rows = Path(scratch) / "rows.jsonl"
        try:
            call_command("migrate", database=SOURCE_ALIAS, interactive=False, verbosity=0)
            call_command(
                "dumpdata",
                database=SOURCE_ALIAS,
                natural_foreign=True,
                exclude=list(NOT_COPIED),
                format="jsonl",
                output=str(rows),
                verbosity=0,
            )
        finally:
            connections[SOURCE_ALIAS].close()
            del connections[SOURCE_ALIAS]
            del connections.databases[SOURCE_ALIAS]
        call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)  # a forced restore: start empty
        call_command("loaddata", str(rows), verbosity=0)


def _run(program: str, *args: str) -> None:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{program} is not on PATH: install the PostgreSQL client programs "
            "(the server's major version or newer)."
        )
    settings = connection.settings_dict
    values = {
        "host": settings.get("HOST") or "",
        "port": str(settings.get("PORT") or ""),
        "user": settings.get("USER") or "",
        "password": settings.get("PASSWORD") or "",
        "dbname": settings["NAME"],
    }
    env = {**os.environ, **{LIBPQ_ENV[k]: v for k, v in values.items() if v}}
    done = subprocess.run([path, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
