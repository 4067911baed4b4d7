"""``enclave backup``, ``enclave restore`` and ``enclave upgrade``."""

from __future__ import annotations

from pathlib import Path

import click

from webapp import runtime
from webapp.cli.installation import open_installation
from webapp.cli.output import console
from webapp.config.settings import get_settings


@click.command()
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--timeout",
    "timeout_s",
    default=600.0,
    show_default=True,
    help="Seconds to wait for a running server's worker to take the index snapshot.",
)
def backup(target: Path, timeout_s: float) -> None:
    """Back up the database, index, originals and secret key into a new folder TARGET."""
    open_installation()
    from webapp.backup.services import backup_create
    from webapp.core.errors import EnclaveError

    try:
        manifest = backup_create(target=target, say=console.print, timeout_s=timeout_s)
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from exc
    counts = ", ".join(
        f"{value} {name.replace('_', ' ')}" for name, value in manifest.counts.items()
    )
    console.print(f"Backup complete in {target.resolve()}: {counts}.")


@click.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the data this home already holds.")
def restore(source: Path, force: bool) -> None:
    """Restore the backup in SOURCE into this home (refused over existing data without --force)."""
    runtime.setup_django()
    from webapp.backup.services import backup_restore
    from webapp.core.errors import EnclaveError

    try:
        report = backup_restore(source=source, force=force, say=console.print)
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from exc
    repair = report.repair
    console.print(
        f"Restored the backup of {report.manifest.created_at} into {get_settings().home_dir}: "
        f"{report.manifest.counts['documents']} documents, {report.index_points} index points."
    )
    if repair.orphan_documents or repair.requeued:
        console.print(
            f"Changed during the backup: {repair.orphan_documents} documents' points removed, "
            f"{repair.requeued} documents queued to be indexed again (by the worker)."
        )
    for title in repair.missing_originals:
        console.print(f"  [red]failed[/red] {title}: its original is not in the backup")


@click.command()
def upgrade() -> None:
    """Apply database migrations; re-index in the background if the embedding model changed."""
    settings = get_settings()
    if settings.embedded and runtime.serve_is_running():
        raise click.ClickException("enclave serve is running on this home: stop it first.")
    runtime.setup_django()
    from webapp.backup.services import originals_repointed

    pending = runtime.pending_migrations()
    runtime.migrate()
    console.print(f"Database: {len(pending)} migrations applied.")
    for name in pending:
        console.print(f"  {name}")
    repointed = originals_repointed()
    if repointed:
        console.print(f"Originals: {repointed} documents now read from {settings.uploads_dir}.")
    ok, message = runtime.follow_configured_model()
    if not ok:
        raise click.ClickException(f"The configured embedding model cannot be used: {message}")
    if message:
        where = (
            "enclave serve builds it when it starts" if settings.embedded else "workers build it"
        )
        console.print(f"{message} ({where}.)")
    else:
        console.print("Search index: the configured embedding model is the active index's.")


COMMANDS = [backup, restore, upgrade]
