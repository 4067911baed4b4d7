"""``enclave backup`` and ``enclave restore``: a whole home, consistent while the server runs.

Order of a backup, and why it loses nothing:

1. the database (one consistent copy: SQLite's backup API, pg_dump's snapshot);
2. the index snapshot (one point in time on Qdrant Edge), taken after it;
3. the originals, copied after both;
4. the secret key, then the manifest with every file's checksum.

A document indexed before step 1 has its points written before its row said
"indexed" (the indexer writes points first), so they are in the snapshot;
its original was stored before its row existed, so it is in step 3. What
changes during the backup is repaired on restore (``index.index_reconcile``):
points of documents created after step 1 are deleted, a document re-indexed
or deleted meanwhile is indexed again from its original.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections

from webapp import runtime
from webapp.backup import manifest as manifests
from webapp.backup.database import database_backup, database_kind, database_restore
from webapp.backup.index import (
    INDEX_DIR,
    IndexRepair,
    index_reconcile,
    index_restore,
    index_snapshot,
)
from webapp.backup.manifest import BackupError, Manifest
from webapp.config.settings import get_settings
from webapp.knowledge.models import (
    Collection,
    Document,
    DocumentStatus,
    SearchIndex,
    SearchIndexState,
)

__all__ = [
    "RestoreReport",
    "backup_create",
    "backup_restore",
    "home_has_data",
    "originals_repointed",
]

logger = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"
SECRET_KEY_FILE = "secret_key"
Say = Callable[[str], None]


def backup_create(*, target: Path, say: Say, timeout_s: float = 600) -> Manifest:
    """Back the home up into ``target`` (absent or empty); ``say`` prints progress."""
    target = target.resolve()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder.")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)  # it holds the secret key and every document
    settings = get_settings()
    active = SearchIndex.objects.filter(state=SearchIndexState.ACTIVE).first()
    if active is None:
        raise BackupError("This home has no search index yet: start 'enclave serve' once first.")
    counts = _counts()
    say(f"Database ({database_kind()}) ...")
    database_backup(target)
    say(f"Index {active.name} ({active.model_name}, {active.backend}) ...")
    counts["index_points"] = index_snapshot(target=target / INDEX_DIR, timeout_s=timeout_s)
    say(f"  {counts['index_points']} points")
    copied = _copy_files(settings.uploads_dir, target / UPLOADS_DIR, say)
    say(f"  {copied} originals")
    key = settings.home_dir / SECRET_KEY_FILE
    if key.is_file():
        shutil.copyfile(key, target / SECRET_KEY_FILE)
        (target / SECRET_KEY_FILE).chmod(0o600)
    manifest = Manifest(
        enclave_version=version("enclave"),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database=database_kind(),
        store_kind=settings.store_config().kind,
        index={
            "name": active.name,
            "model_name": active.model_name,
            "model_dir": active.model_dir,
            "backend": active.backend,
            "dimension": active.dimension,
        },
        counts=counts,
        uploads_dir=str(settings.uploads_dir),
    )
    say("Checksums ...")
    manifests.write(target, manifest)
    return manifest


def _counts() -> dict[str, int]:
    documents = Document.objects.exclude(status=DocumentStatus.DELETING)
    return {
        "users": get_user_model().objects.count(),
        "collections": Collection.objects.count(),
        "documents": documents.count(),
        "documents_indexed": documents.filter(status=DocumentStatus.INDEXED).count(),
    }


def _copy_files(source: Path, target: Path, say: Say) -> int:
    """Copy a folder's files (progress every 500); returns how many."""
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else []
    say(f"Originals: {len(files)} files ...")
    for number, path in enumerate(files, 1):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        if number % 500 == 0:
            say(f"  {number}/{len(files)}")
    return len(files)


def home_has_data() -> bool:
    """Whether this home already holds users, documents, originals or an index."""
    settings = get_settings()
    try:
        if get_user_model().objects.exists() or Document.objects.exists():
            return True
    except DatabaseError:  # no tables yet: an empty database
        connections.close_all()
    if settings.uploads_dir.is_dir() and any(settings.uploads_dir.iterdir()):
        return True
    return any(settings.home_dir.glob("qdrant-edge*"))


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    manifest: Manifest
    index_points: int
    repair: IndexRepair


def backup_restore(*, source: Path, force: bool, say: Say) -> RestoreReport:
    """Restore the backup in ``source`` into this home (``force``: over existing data)."""
    source = source.resolve()
    manifest = manifests.read(source)
    say(f"Checking {len(manifest.files)} files of the backup from {manifest.created_at} ...")
    manifests.verify(source, manifest)
    if get_settings().embedded and runtime.serve_is_running():
        raise BackupError("enclave serve is running on this home: stop it before restoring.")
    if home_has_data() and not force:
        raise BackupError(
            f"{get_settings().home_dir} already holds data; restoring replaces all of it. "
            "Run again with --force to do so."
        )
    from webapp.core.engines import close_engines

    close_engines()
    _clear_home()
    say(f"Database ({manifest.database}) ...")
    database_restore(source, manifest.database)
    runtime.migrate()  # a backup of an older version gets this version's schema
    say("Originals ...")
    uploads = get_settings().uploads_dir
    _copy_files(source / UPLOADS_DIR, uploads, say)
    originals_repointed(even_absent=True)
    if (source / SECRET_KEY_FILE).is_file():
        key = get_settings().home_dir / SECRET_KEY_FILE
        shutil.copyfile(source / SECRET_KEY_FILE, key)
        key.chmod(0o600)
    say(f"Index {manifest.index['name']} ...")
    restored = index_restore(source=source / INDEX_DIR, index=manifest.index)
    say("Comparing the index with the database ...")
    repair = index_reconcile(restored)
    close_engines()
    return RestoreReport(manifest=manifest, index_points=restored.points, repair=repair)


def _clear_home() -> None:
    """Remove what a restore replaces (originals, embedded index and queued tasks)."""
    settings = get_settings()
    shutil.rmtree(settings.uploads_dir, ignore_errors=True)
    for path in settings.home_dir.glob("qdrant-edge*"):
        shutil.rmtree(path, ignore_errors=True)
    for name in ("broker.sqlite3", "broker.sqlite3-wal", "broker.sqlite3-shm"):
        (settings.home_dir / name).unlink(missing_ok=True)
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)


def originals_repointed(*, even_absent: bool = False) -> int:
    """Point documents recorded outside this home's uploads folder at the file of that name here.

    Homes record each original's absolute path (uploads are stored flat, by a
    unique name), so a moved or copied home, or a backup restored elsewhere,
    would re-index from a folder that is gone or is another home's. A document
    whose file is not here keeps its path, unless ``even_absent`` (restore: the
    restored home reads nothing outside itself, and reconciliation marks a
    document whose original is not in the backup failed). Returns how many.
    """
    uploads = get_settings().uploads_dir
    moved = []
    outside = Document.objects.exclude(stored_path__startswith=f"{uploads}/")
    for document in outside.only("stored_path").iterator():
        here = uploads / Path(document.stored_path).name
        if even_absent or here.is_file():
            document.stored_path = str(here)
            moved.append(document)
    Document.objects.bulk_update(moved, ["stored_path"], batch_size=500)
    return len(moved)
