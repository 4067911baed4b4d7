"""``enclave collection``: list, rename and delete collections from the terminal."""

from __future__ import annotations

import click

from webapp.cli.installation import open_installation
from webapp.cli.output import console
from webapp.core.permissions import SYSTEM

__all__ = ["collection_command"]


@click.group("collection")
def collection_command() -> None:
    """List, rename and delete collections (the admin console's actions)."""


@collection_command.command("list")
def collection_list_command() -> None:
    """Each collection with its document counts."""
    open_installation()
    from webapp.knowledge.selectors import collection_list_visible_to

    for c in collection_list_visible_to(user=SYSTEM).order_by("name"):
        console.print(
            f"{c.id:>4}  {c.name:<30} {c.document_count} documents "
            f"({c.indexed_count} indexed, {c.failed_count} failed)",
            markup=False,
        )


@collection_command.command("rename")
@click.argument("name")
@click.argument("new_name")
def collection_rename_command(name: str, new_name: str) -> None:
    """Give collection NAME the name NEW_NAME; documents and readers stay."""
    open_installation()
    from webapp.cli import support
    from webapp.core.errors import EnclaveError
    from webapp.knowledge.services import collection_rename

    try:
        collection = collection_rename(
            collection=support.collection_named(name), name=new_name, actor=SYSTEM
        )
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from None
    console.print(f"Collection {name!r} is now {collection.name!r}.", markup=False)


@collection_command.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def collection_delete_command(name: str, yes: bool) -> None:
    """Erase collection NAME with every document in it (index, stored files, rows)."""
    open_installation()
    from django.db import transaction

    from webapp.cli import support
    from webapp.knowledge.services import collection_delete

    collection = support.collection_named(name)
    if not yes:
        click.confirm(f"Delete {name!r} and every document in it?", abort=True)
    with transaction.atomic():
        erased = collection_delete(collection=collection, actor=SYSTEM)
    console.print(f"Collection {name!r} deleted with {erased} documents.", markup=False)
