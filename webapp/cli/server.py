"""``enclave serve``, ``worker``, ``doctor`` and ``manage``: running the site."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.panel import Panel

from webapp import runtime
from webapp.cli.installation import open_installation
from webapp.cli.output import console, err_console
from webapp.config.settings import get_settings

__all__ = ["doctor", "manage", "serve", "worker"]


@click.command()
@click.option("--host", default=None, help="Address to bind (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option(
    "--worker/--no-worker", default=None, help="Run the ingestion worker in this process."
)
def serve(host: str | None, port: int | None, worker: bool | None) -> None:
    """Run the web app (and, on the embedded defaults, the worker) in one process."""
    import uvicorn

    settings = get_settings()
    url = f"http://{host or settings.host}:{port or settings.port}"
    lock = runtime.acquire_serve_lock(url=url) if settings.embedded else None
    open_installation(create=True, logs=True)
    password = runtime.ensure_admin()
    generated = password is not None and settings.admin_password is None
    # Saved at once: journald and `docker logs` get the file's path, never the password.
    saved = runtime.save_admin_password(password) if generated and password else None
    _follow_configured_model()
    run_worker = settings.embedded if worker is None else worker
    embedded = runtime.EmbeddedRuntime() if run_worker else None
    if embedded is not None:
        requeued = embedded.start()
        if requeued:
            console.print(f"Requeued {len(requeued)} unfinished documents.")
    runtime.warm_up()
    config = uvicorn.Config(
        "webapp.config.asgi:application",
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        # JSON logs: uvicorn's lines go to the root handler, in its format, not uvicorn's own.
        **({"log_config": None} if settings.log_format == "json" else {}),
        timeout_graceful_shutdown=5,
        **runtime.uvicorn_proxy_options(),
    )
    server = uvicorn.Server(config)
    announce = threading.Thread(
        target=_announce,
        args=(server, url, password, saved),
        name="announce",
        daemon=True,
    )
    announce.start()
    try:
        server.run()
    finally:
        if embedded is not None:
            embedded.stop()
        if lock is not None:
            lock.close()


def _announce(server: Any, url: str, password: str | None, saved: Path | None) -> None:
    """Once the server listens, the address and the first admin's password, last and framed.

    The password itself only on a terminal; a log (journald, ``docker logs``) gets the
    path of the file it is saved in, readable by the service user only.
    """
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.1)
    lines = [f"Enclave is running at [bold]{url}[/bold]"]
    if password and saved is not None:
        username = get_settings().admin_username
        shown = f" / [bold]{escape(password)}[/bold]" if console.is_terminal else ""
        lines += ["", f"First admin sign-in: [bold]{username}[/bold]{shown}"]
    console.print(Panel("\n".join(lines), title="Enclave", expand=False))
    if saved is not None:  # outside the frame: a long path is never wrapped
        console.print(f"The first admin's password is in {saved} (readable by this user only).")


def _follow_configured_model() -> None:
    """A changed embedding model or backend starts a background rebuild; search goes on."""
    ok, message = runtime.follow_configured_model()
    if not ok:
        err_console.print(f"[red]The configured embedding model cannot be used:[/red] {message}")
    elif message:
        console.print(message)


@click.command()
@click.option("--concurrency", "-c", default=None, type=int, help="Parallel ingestion tasks.")
@click.option(
    "--beat/--no-beat", default=False, help="Also run the periodic reconciler (one per cluster)."
)
def worker(concurrency: int | None, beat: bool) -> None:
    """Run a separate Celery worker (production: Redis broker and a Qdrant server)."""
    settings = get_settings()
    if settings.embedded:
        raise click.ClickException(
            "a separate worker needs ENCLAVE_QDRANT_URL: the embedded Qdrant Edge index "
            "belongs to 'enclave serve', which already runs a worker"
        )
    runtime.setup_django()
    from worker.celery_app import app

    argv = [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency or settings.worker.concurrency or 1}",
    ]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


@click.command()
def doctor() -> None:
    """Check database, broker, vector store, embedding model and LLM backend."""
    open_installation()
    from webapp.doctor import run_checks

    failures = 0
    for check in run_checks():
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name:<16} {check.detail}")
        failures += not check.ok
    sys.exit(1 if failures else 0)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def manage(ctx: click.Context) -> None:
    """Run a Django management command (e.g. 'enclave manage createsuperuser')."""
    runtime.setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["enclave manage", *ctx.args])
