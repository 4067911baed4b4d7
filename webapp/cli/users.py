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
@click.option(
    "--delete",
    is_flag=True,
    help="Delete the user with their conversations and API tokens (the audit log keeps the name).",
)
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
def user_command(
    username: str,
    password: str | None,
    groups: tuple[str, ...],
    admin: bool,
    delete: bool,
    yes: bool,
) -> None:
    """Create or update a local user and their groups (or delete one with --delete)."""
    if delete:
        _delete(username, yes=yes)
        return
    open_installation(create=True)
    from webapp.cli import support

    generated = support.user_upsert(
        username=username, password=password, group_names=groups, admin=admin
    )
    console.print(f"User {username} saved (groups: {', '.join(groups) or 'none'}).")
    if generated:
        console.print(f"Password: {generated}")


def _delete(username: str, *, yes: bool) -> None:
    open_installation()
    from webapp.accounts.user_services import user_delete
    from webapp.cli import support
    from webapp.core.permissions import SYSTEM

    user = support.user_named(username)
    if not yes:
        click.confirm(f"Delete user {username} and their conversations?", abort=True)
    counts = user_delete(user=user, actor=SYSTEM)
    console.print(
        f"User {username} deleted ({counts['conversations']} conversations, "
        f"{counts['tokens']} API tokens)."
    )
