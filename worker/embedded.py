"""A real Celery worker running in a thread of the current process.

The embedded mode needs it because Qdrant Edge and the SQLite files are owned
by one process (``enclave serve``); tests use it as their live worker.
"""

from __future__ import annotations

import logging
import sys
import threading

from celery import Celery
from celery.utils.nodenames import anon_nodename
from celery.worker import WorkController, state

logger = logging.getLogger(__name__)


class _ReadyWorkController(WorkController):
    """A WorkController that signals when its consumer is ready."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.ready = threading.Event()
        super().__init__(*args, **kwargs)

    def on_consumer_ready(self, consumer: object) -> None:
        self.ready.set()


class EmbeddedWorker:
    """Start and stop a thread-pool Celery worker inside this process."""

    def __init__(self, app: Celery, *, concurrency: int = 1) -> None:
        self.app = app
        self.concurrency = concurrency
        self._controller: _ReadyWorkController | None = None
        self._thread: threading.Thread | None = None

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Start consuming; returns once the worker is ready."""
        import worker.tasks.access  # noqa: F401  (register tasks)
        import worker.tasks.ingestion  # noqa: F401
        import worker.tasks.maintenance  # noqa: F401
        import worker.tasks.rebuild  # noqa: F401
        import worker.tasks.sync  # noqa: F401

        _start_parser_server()
        self.app.finalize()
        self.app.set_current()
        state.should_terminate = None
        self._controller = _ReadyWorkController(
            app=self.app,
            concurrency=self.concurrency,
            hostname=f"embedded-{anon_nodename()}",
            pool="threads",
            loglevel="INFO",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        self._thread = threading.Thread(
            target=self._controller.start, name="enclave-worker", daemon=True
        )
        self._thread.start()
        if not self._controller.ready.wait(timeout_s):
            raise RuntimeError("the embedded Celery worker did not start in time")
        logger.info("embedded worker started (concurrency=%s)", self.concurrency)

    def stop(self, *, timeout_s: float = 30.0) -> None:
        """Finish the running task and stop."""
        if self._thread is None:
            return
        state.should_terminate = 0
        self._thread.join(timeout_s)
        state.should_terminate = None
        self._thread = None
        logger.info("embedded worker stopped")


def _start_parser_server() -> None:
    """Spawn the parser process now: its imports overlap the worker's start, not a document."""
    from webapp.config.settings import get_settings

    if sys.platform.startswith("linux") and get_settings().ingestion.parse_isolation:
        from retrieval.parsing.sandbox import start_parser_server

        start_parser_server()
