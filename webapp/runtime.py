"""Process start-up shared by the CLI commands: Django, migrations, the embedded worker.

Qdrant Edge and the SQLite files belong to one process; ``serve_lock`` tells
other CLI processes whether ``enclave serve`` already owns them.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import IO, Any

from webapp.config.settings import get_settings

logger = logging.getLogger(__name__)

LOCK_NAME = "serve.lock"


def setup_django() -> None:
    """Configure Django from the settings object (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.config.django_settings")
    import django

    django.setup()


def warm_up() -> None:
    """Load the search engines with one search, then exempt every object so far from GC.

    A full garbage collection walks every tracked object. With the libraries and the
    models loaded, each one took 120-200 ms, holding the GIL, so every request in
    flight stalled with it (9 times in 10 s at 32 concurrent chats). What exists at
    start-up lives as long as the process: ``gc.freeze()`` takes it out of later
    collections, which then walk only what requests create. The search also spares
    the first question the model load.
    """
    from retrieval.errors import RetrievalError
    from webapp.core.engines import get_chat_router
    from webapp.core.permissions import STAFF_GROUP_ID
    from webapp.knowledge.index_engines import get_searcher

    started = time.perf_counter()
    try:
        get_searcher().search("warm-up", allowed_group_ids=[STAFF_GROUP_ID], limit=1)
    except RetrievalError as exc:  # the first real search reports it to its user
        logger.warning("search engines not ready at start: %s", exc)
    get_chat_router()
    gc.collect()
    gc.freeze()
    logger.info(
        "warmed up in %.1f s; %s start-up objects exempt from garbage collection",
        time.perf_counter() - started,
        gc.get_freeze_count(),
    )


def installation_missing() -> bool:
    """True when the embedded SQLite database does not exist yet (a server one is not checked)."""
    settings = get_settings()
    if settings.database_url is not None:
        return False
    return not (settings.home.expanduser().resolve() / "enclave.sqlite3").is_file()


class NotInstalledError(RuntimeError):
    """The configured home or database holds no (up-to-date) Enclave installation."""


def require_installation() -> None:
    """Raise NotInstalledError, saying what to do, unless the database is set up.

    Checked before Django connects, so a command run on the wrong home does not
    leave an empty SQLite file behind.
    """
    if installation_missing():
        home = get_settings().home.expanduser().resolve()
        raise NotInstalledError(
            f"no Enclave installation in {home} (ENCLAVE_HOME). Set ENCLAVE_HOME to the "
            "installation's directory, or create one there with 'enclave serve'."
        )
    setup_django()
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise NotInstalledError(f"the database cannot be read ({exc}).") from exc
    if pending:
        raise NotInstalledError(
            f"the database is not set up for this version of Enclave ({len(pending)} "
            "migrations to apply): run 'enclave manage migrate', or start 'enclave serve', "
            "which applies them."
        )


def migrate() -> None:
    """Bring the database schema up to date."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def pending_migrations() -> list[str]:
    """The migrations ``migrate`` would apply now, as 'app.name'."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def follow_configured_model() -> tuple[bool, str]:
    """Start a background rebuild when the configured embedding model or backend changed.

    What ``enclave serve`` and ``enclave upgrade`` do at start; returns (usable,
    the line to print): searches keep the active index until the build is complete.
    """
    from django.db import transaction

    from retrieval.errors import RetrievalError
    from webapp.core.errors import EnclaveError
    from webapp.knowledge.indexes import model_label, search_index_follow_settings

    try:
        with transaction.atomic():
            building = search_index_follow_settings()
    except (EnclaveError, RetrievalError) as exc:  # search goes on with the active index
        return False, str(exc)
    if building is None:
        return True, ""
    return True, (
        f"Building index {building.name} with {model_label(building)} in the background "
        f"({building.documents_done}/{building.documents_total} documents); "
        "searches use the current index until it is complete."
    )


def ensure_admin() -> str | None:
    """Create the first admin if there is none; returns the generated password, if any."""
    from django.contrib.auth import get_user_model

    from webapp.accounts.models import PasswordChangeRequired
    from webapp.accounts.passwords import password_require_change

    settings = get_settings()
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    password = (
        settings.admin_password.get_secret_value()
        if settings.admin_password
        else secrets.token_urlsafe(12)
    )
    admin = user_model.objects.create_superuser(
        username=settings.admin_username, email="", password=password
    )
    if not settings.admin_password:  # generated: to be replaced at the first sign-in
        password_require_change(user=admin, reason=PasswordChangeRequired.Reason.GENERATED)
    return password


def save_admin_password(password: str) -> Path:
    """Write the generated first admin password to a file only this user may read (0600).

    The file goes when the admin changes the password (``webapp.accounts.passwords``).
    """
    from webapp.accounts.passwords import first_admin_password_path

    path = first_admin_password_path()
    path.unlink(missing_ok=True)  # a file left by another user keeps its own mode
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return path


def uvicorn_proxy_options() -> dict[str, Any]:
    """uvicorn's trust in forwarded headers: only ``ENCLAVE_TRUSTED_PROXIES`` (none by default).

    Left to its defaults, uvicorn believes ``X-Forwarded-For``/``-Proto`` from
    127.0.0.1 (or ``$FORWARDED_ALLOW_IPS``), so any local client could claim a new
    address per request and never meet the sign-in lockout.
    """
    proxies = get_settings().sign_in.trusted_proxies
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(proxies)}


def _lock_path() -> Path:
    return get_settings().home_dir / LOCK_NAME


def acquire_serve_lock(*, url: str) -> IO[str]:
    """Hold the home directory for this process; raises RuntimeError if another serve holds it."""
    handle = _lock_path().open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RuntimeError(
            f"another 'enclave serve' is already using {get_settings().home_dir}"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} {url}")
    handle.flush()
    return handle


def serve_url() -> str | None:
    """The URL of the ``enclave serve`` that holds this home directory, if one runs."""
    if not serve_is_running():
        return None
    parts = _lock_path().read_text().split()
    return parts[1] if len(parts) == 2 else None


def serve_is_running() -> bool:
    """True when an ``enclave serve`` process holds this home directory."""
    path = _lock_path()
    if not path.exists():
        return False
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


class Reconciler:
    """Periodically requeue stalled documents (the embedded stand-in for celery beat)."""

    def __init__(self, *, interval_s: float, stalled_after_s: int) -> None:
        self.interval_s = interval_s
        self.stalled_after_s = stalled_after_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="enclave-reconciler", daemon=True)

    def start(self) -> None:
        """Start the periodic check."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the periodic check."""
        self._stop.set()

    def _run(self) -> None:
        from django.db import close_old_connections

        from webapp.knowledge.access import collections_requeue_unapplied_groups
        from webapp.knowledge.erasure import erasure_pass
        from webapp.knowledge.ingestion import documents_requeue_stalled
        from webapp.knowledge.rebuild import search_indexes_requeue_stalled
        from worker.contracts import enqueue_sync_folders

        settings = get_settings()
        next_sync = time.monotonic()  # configured folders: first sync at the first tick
        while not self._stop.wait(self.interval_s):
            try:
                documents_requeue_stalled(stalled_after_s=self.stalled_after_s)
                search_indexes_requeue_stalled(stalled_after_s=self.stalled_after_s)
                collections_requeue_unapplied_groups(older_than_s=self.stalled_after_s)
                erasure_pass()  # deleted documents' text leaves the index files
                syncing = settings.ingestion.sync_folders or settings.ingestion.sync_sources
                if syncing and time.monotonic() >= next_sync:
                    enqueue_sync_folders()
                    next_sync = time.monotonic() + settings.ingestion.sync_interval_s
            except Exception:  # keep checking; a database hiccup must not end the loop
                logger.exception("reconciler pass failed")
            finally:
                close_old_connections()


class EmbeddedRuntime:
    """The in-process worker plus reconciler that the embedded mode runs beside the web app."""

    def __init__(self) -> None:
        from worker.celery_app import app
        from worker.embedded import EmbeddedWorker

        settings = get_settings()
        self.worker = EmbeddedWorker(app, concurrency=settings.embedded_worker_threads())
        self.reconciler = Reconciler(
            interval_s=settings.worker.reconcile_interval_s,
            stalled_after_s=settings.worker.stalled_after_s,
        )

    def start(self) -> list[int]:
        """Start worker and reconciler; returns the orphaned documents requeued."""
        from django.db import transaction

        from webapp.knowledge.access import collections_requeue_unapplied_groups
        from webapp.knowledge.ingestion import documents_requeue_orphaned
        from webapp.knowledge.rebuild import search_indexes_requeue_stalled

        self.worker.start()
        with transaction.atomic():
            requeued = documents_requeue_orphaned()
            # An index build this process was running when it stopped goes on.
            search_indexes_requeue_stalled(stalled_after_s=0)
            # A group change the last process queued but never wrote (killed meanwhile).
            collections_requeue_unapplied_groups(older_than_s=0)
        self.reconciler.start()
        return requeued

    def stop(self) -> None:
        """Stop reconciler and worker, finish erasures, then close the engines (flushing them)."""
        from webapp.core.engines import close_engines
        from webapp.knowledge.erasure import erasure_pass

        self.reconciler.stop()
        self.worker.stop()
        try:
            erasure_pass()
        except Exception:  # the next start's reconciler compacts what is left
            logger.exception("erasure pass at stop failed")
        close_engines()
