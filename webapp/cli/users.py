"""``enclave user``: create or update a local account from the terminal."""

from __future__ import annotations

import click

from webapp.cli.installation import open_installation
from webapp.cli.output import console

__all__ = ["user_command"]


@click.command("user")
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
    open_installation(create=True)
    from webapp.cli import support

    generated = support.user_upsert(
        username=username, password=password, group_names=groups, admin=admin
    )
    console.print(f"User {username} saved (groups: {', '.join(groups) or 'none'}).")
    if generated:
        console.print(f"Password: {generated}")
