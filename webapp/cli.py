"""The ``enclave`` command: serve, worker, ingest, ask, doctor, user management."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from webapp import runtime
from webapp.config.settings import get_settings

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


@click.group()
def main() -> None:
    """Enclave: answers from your company's private documents, on premises."""


@main.command()
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
    runtime.setup_django()
    runtime.migrate()
    password = runtime.ensure_admin()
    _follow_configured_model()
    run_worker = settings.embedded if worker is None else worker
    embedded = runtime.EmbeddedRuntime() if run_worker else None
    if embedded is not None:
        requeued = embedded.start()
        if requeued:
            console.print(f"Requeued {len(requeued)} unfinished documents.")
    runtime.warm_up()
    console.print(f"Enclave is running at [bold]{url}[/bold]")
    if password:
        console.print(
            f"First admin login: [bold]{settings.admin_username}[/bold] / [bold]{password}[/bold]"
        )
    try:
        uvicorn.run(
            "webapp.config.asgi:application",
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            timeout_graceful_shutdown=5,
            **runtime.uvicorn_proxy_options(),
        )
    finally:
        if embedded is not None:
            embedded.stop()
        if lock is not None:
            lock.close()


def _follow_configured_model() -> None:
    """A changed ENCLAVE_EMBEDDING_MODEL_DIR starts a background rebuild; search goes on."""
    from django.db import transaction

    from retrieval.errors import RetrievalError
    from webapp.core.errors import EnclaveError
    from webapp.knowledge.indexes import model_label, search_index_follow_settings

    try:
        with transaction.atomic():
            building = search_index_follow_settings()
    except (EnclaveError, RetrievalError) as exc:  # search goes on with the active index
        err_console.print(f"[red]The configured embedding model cannot be used:[/red] {exc}")
        return
    if building is not None:
        console.print(
            f"Building index {building.name} with {model_label(building)} in the background "
            f"({building.documents_done}/{building.documents_total} documents); "
            "searches use the current index until it is complete."
        )


@main.command()
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
        f"--concurrency={concurrency or settings.worker_concurrency or 1}",
    ]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--collection", "collection_name", required=True, help="Collection name.")
@click.option("--group", "groups", multiple=True, help="Groups that may read a new collection.")
@click.option("--wait/--no-wait", default=True, help="Show progress until every file is done.")
def ingest(
    paths: tuple[Path, ...], collection_name: str, groups: tuple[str, ...], wait: bool
) -> None:
    """Queue files and folders for ingestion and show their progress."""
    runtime.setup_django()
    runtime.migrate()
    from webapp import cli_support
    from webapp.cli_ingest import ingest_queue, ingest_selection, print_skipped

    collection = cli_support.collection_get_or_create(name=collection_name, group_names=groups)
    selection = ingest_selection(paths)
    documents = ingest_queue(collection=collection, selection=selection)
    print_skipped(selection.skipped)
    if not documents:
        raise click.ClickException("no files to ingest")
    if not wait:
        console.print(f"Queued {len(documents)} documents in {collection.name!r}.")
        return
    embedded = None
    if get_settings().embedded and not runtime.serve_is_running():
        embedded = runtime.EmbeddedRuntime()
        embedded.start()
    try:
        failed = _watch(documents)
    finally:
        if embedded is not None:
            embedded.stop()
    if failed:
        sys.exit(1)


def _watch(document_ids: list[int]) -> int:
    from webapp import cli_support

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console) as bar:
        tasks = {}
        while True:
            rows = cli_support.documents_progress(document_ids)
            for row in rows:
                if row["id"] not in tasks:
                    tasks[row["id"]] = bar.add_task(row["title"][:40], total=None, status="queued")
                total = row["progress_total"] or None
                bar.update(
                    tasks[row["id"]],
                    total=total,
                    completed=row["progress_done"],
                    status=row["status"],
                )
            if all(r["status"] in ("indexed", "failed") for r in rows):
                break
            time.sleep(0.5)
    failed = [r for r in rows if r["status"] == "failed"]
    indexed = len(rows) - len(failed)
    console.print(f"{indexed} indexed, {len(failed)} failed.")
    for row in failed:
        console.print(f"  [red]failed[/red] {row['title']}: {row['error']}")
    return len(failed)


@main.command()
@click.argument("question")
@click.option("--user", "username", required=True, help="Answer as this user (their groups apply).")
@click.option("--collection", "collection_names", multiple=True, help="Limit to these collections.")
def ask(question: str, username: str, collection_names: tuple[str, ...]) -> None:
    """Print a streamed answer with its citations."""
    settings = get_settings()
    runtime.setup_django()
    from webapp import cli_support

    user = cli_support.user_get(username)
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    collection_ids = cli_support.collection_ids(collection_names)
    server_url = runtime.serve_url() if settings.embedded else None
    if server_url:
        # The running server owns the embedded index: ask it over the API.
        from webapp.cli_remote import remote_ask_events

        events = remote_ask_events(
            base_url=server_url, user=user, question=question, collection_ids=collection_ids
        )
    else:
        from webapp.chat.services import conversation_ask

        events = conversation_ask(user=user, question=question, collection_ids=collection_ids)
    _print_answer(events)
    from webapp.core.engines import close_engines

    close_engines()


def _print_answer(events: Iterator[Any]) -> None:
    """The answer as it streams, replaced by its final text (citations renumbered, attributed)."""
    from rich.live import Live
    from rich.text import Text

    from webapp.chat.events import DeltaEvent, DoneEvent, ErrorEvent

    done: DoneEvent | None = None
    failed: ErrorEvent | None = None
    streamed = Text()
    # On a terminal the text grows as it streams, then gives way to the final text
    # (citations renumbered and attributed); piped, only the final text is printed.
    with Live(streamed, console=console, auto_refresh=False, transient=True) as live:
        for event in events:
            if isinstance(event, DeltaEvent) and console.is_terminal:
                streamed.append(event.text)
                live.refresh()
            elif isinstance(event, ErrorEvent):
                failed = event
            elif isinstance(event, DoneEvent):
                done = event
    if failed is not None:
        if streamed:
            console.print(streamed)  # what arrived before the failure stays readable
        raise click.ClickException(failed.message)
    if done is None:
        raise click.ClickException("The answer ended without a result.")
    console.print(done.text, soft_wrap=True, markup=False)
    if done.notice is not None:
        console.print(f"({done.notice.message})", style="dim")
    if done.cited_sources:
        console.print("\nSources:")
    for s in done.cited_sources:
        page = f", page {s['page']}" if s["page"] else ""
        console.print(f"  [{s['number']}] {s['title']}{page}", markup=False)


@main.command()
def doctor() -> None:
    """Check database, broker, vector store, embedding model and LLM backend."""
    runtime.setup_django()
    from webapp.core.doctor import run_checks

    failures = 0
    for check in run_checks():
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {check.name:<16} {check.detail}")
        failures += not check.ok
    sys.exit(1 if failures else 0)


@main.command("user")
@click.argument("username")
@click.option("--password", default=None, help="Password (generated and printed when omitted).")
@click.option(
    "--group", "groups", multiple=True, help="Groups to add the user to (created if missing)."
)
@click.option(
    "--admin/--no-admin", default=False, help="Staff rights: manage collections, read everything."
)
def user_command(username: str, password: str | None, groups: tuple[str, ...], admin: bool) -> None:
    """Create or update a local user and their groups."""
    runtime.setup_django()
    runtime.migrate()
    from webapp import cli_support

    generated = cli_support.user_upsert(
        username=username, password=password, group_names=groups, admin=admin
    )
    console.print(f"User {username} saved (groups: {', '.join(groups) or 'none'}).")
    if generated:
        console.print(f"Password: {generated}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def manage(ctx: click.Context) -> None:
    """Run a Django management command (e.g. 'enclave manage createsuperuser')."""
    runtime.setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["enclave manage", *ctx.args])


from webapp.cli_tokens import token_command  # noqa: E402  (a subcommand group in its own module)

main.add_command(token_command)

from webapp.cli_ingest import COMMANDS as INGEST_COMMANDS  # noqa: E402  (retry, sync, reindex)

for _command in INGEST_COMMANDS:
    main.add_command(_command)

from webapp.cli_eval import eval_group  # noqa: E402  (enclave eval retrieval)

main.add_command(eval_group)

if __name__ == "__main__":
    main()
