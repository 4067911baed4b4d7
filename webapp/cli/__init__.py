"""The ``enclave`` command: one module per command group, gathered here.

``server`` (serve, worker, doctor, manage), ``ingest`` (ingest, retry, sync,
reindex), ``ask``, ``users`` (user), ``tokens`` (token), ``eval`` (eval retrieval,
eval answers). Shared pieces: ``output`` (consoles), ``progress`` (progress bars),
``support`` (names to objects), ``remote`` (ask through a running server).
"""

from __future__ import annotations

import click

from webapp.cli.ask import ask
from webapp.cli.eval import eval_group
from webapp.cli.ingest import COMMANDS as INGEST_COMMANDS
from webapp.cli.server import doctor, manage, serve, worker
from webapp.cli.tokens import token_command
from webapp.cli.users import user_command

__all__ = ["main"]


@click.group()
def main() -> None:
    """Enclave: answers from your company's private documents, on premises."""


for _command in (serve, worker, *INGEST_COMMANDS, ask, doctor, user_command, manage):
    main.add_command(_command)
main.add_command(token_command)
main.add_command(eval_group)
