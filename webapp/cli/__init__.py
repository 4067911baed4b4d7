"""The ``enclave`` command: one module per command group, gathered here.

``server`` (serve, worker, doctor, manage), ``ingest`` (ingest, retry, sync,
reindex), ``ask``, ``users`` (user), ``tokens`` (token), ``collections``
(collection), ``backup`` (backup, restore, upgrade), ``eval`` (eval retrieval,
eval answers, eval sets). Shared pieces: ``output``
(consoles), ``installation`` (which home), ``progress`` (progress bars),
``support`` (names to objects), ``remote`` (ask through a running server).
"""

from __future__ import annotations

import os

import click

from webapp.cli.ask import ask
from webapp.cli.backup import COMMANDS as BACKUP_COMMANDS
from webapp.cli.collections import collection_command
from webapp.cli.eval import eval_group
from webapp.cli.ingest import COMMANDS as INGEST_COMMANDS
from webapp.cli.output import set_verbose
from webapp.cli.server import doctor, manage, serve, worker
from webapp.cli.tokens import token_command
from webapp.cli.users import user_command

__all__ = ["main"]


class _Main(click.Group):
    """The command group; a database error becomes one line saying what to do."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; Django's database errors end it with a message, not a traceback."""
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            from django.db import DatabaseError

            if not isinstance(exc, DatabaseError):
                raise
            raise click.ClickException(
                f"the database cannot be used ({exc}). Check ENCLAVE_HOME or "
                "ENCLAVE_DATABASE_URL, then run 'enclave doctor'."
            ) from None


@click.group(cls=_Main)
@click.option(
    "--verbose", "-v", is_flag=True, help="Show INFO logs (on stderr) in terminal commands."
)
def main(verbose: bool) -> None:
    """Enclave: answers from your company's private documents, on premises."""
    set_verbose(verbose)
    # Model loading draws progress bars on stderr; a command has its own output.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


for _command in (serve, worker, *INGEST_COMMANDS, ask, doctor, user_command, manage):
    main.add_command(_command)
for _command in BACKUP_COMMANDS:
    main.add_command(_command)
main.add_command(token_command)
main.add_command(collection_command)
main.add_command(eval_group)
