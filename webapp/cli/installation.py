"""Which installation a command works on: an existing one, or a new one said out loud."""

from __future__ import annotations

import click

from webapp import runtime
from webapp.cli.output import err_console, quiet_logs
from webapp.config.settings import get_settings

__all__ = ["open_installation"]


def open_installation(*, create: bool = False, logs: bool = False) -> None:
    """Set Django up on the configured installation, migrated.

    Without ``create`` a missing or unmigrated database stops the command with
    what to do; with it (serve, user, ingest, sync) a new installation is made
    and its directory printed on stderr, so a wrong ENCLAVE_HOME does not go unseen.
    INFO logs are quieted (``enclave --verbose`` keeps them) unless ``logs``.
    """
    if not create:
        try:
            runtime.require_installation()
        except runtime.NotInstalledError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        new = runtime.installation_missing()
        runtime.setup_django()
        runtime.migrate()
    if not logs:
        quiet_logs()
    if create and new:
        home = get_settings().home_dir
        err_console.print(f"Created a new Enclave installation in {home} (ENCLAVE_HOME).")
