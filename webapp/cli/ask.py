"""``enclave ask``: a streamed answer with its citations, in the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from webapp import runtime
from webapp.cli.installation import open_installation
from webapp.cli.output import console
from webapp.config.settings import get_settings

__all__ = ["ask"]


@click.command()
@click.argument("question")
@click.option("--user", "username", required=True, help="Answer as this user (their groups apply).")
@click.option("--collection", "collection_names", multiple=True, help="Limit to these collections.")
def ask(question: str, username: str, collection_names: tuple[str, ...]) -> None:
    """Print a streamed answer with its citations."""
    settings = get_settings()
    open_installation()
    from webapp.cli import support

    user = support.user_get(username)
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    collection_ids = support.collection_ids(collection_names)
    server_url = runtime.serve_url() if settings.embedded else None
    if server_url:
        # The running server owns the embedded index: ask it over the API.
        from webapp.cli.remote import remote_ask_events

        events = remote_ask_events(
            base_url=server_url, user=user, question=question, collection_ids=collection_ids
        )
    else:
        from webapp.chat.models import Channel
        from webapp.chat.services import conversation_ask

        events = conversation_ask(
            user=user, question=question, collection_ids=collection_ids, channel=Channel.CLI
        )
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
