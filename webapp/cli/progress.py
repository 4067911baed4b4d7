"""Progress bars of the commands that queue work: documents, then an index build."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from webapp.cli.output import console

if TYPE_CHECKING:
    from webapp.knowledge.models import SearchIndex

__all__ = ["watch_build", "watch_documents"]

FINISHED = ("indexed", "failed")


def _progress() -> Progress:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
    )
    return Progress(*columns, console=console)


def watch_documents(document_ids: list[int]) -> int:
    """Show each document's progress until all are done; the number that failed."""
    from webapp.cli import support

    with _progress() as bar:
        tasks = {}
        while True:
            rows = support.documents_progress(document_ids)
            for row in rows:
                if row["id"] not in tasks:
                    tasks[row["id"]] = bar.add_task(row["title"][:40], total=None, status="queued")
                bar.update(
                    tasks[row["id"]],
                    total=row["progress_total"] or None,
                    completed=row["progress_done"],
                    status=row["status"],
                )
            if all(r["status"] in FINISHED for r in rows):
                break
            time.sleep(0.5)
    failed = [r for r in rows if r["status"] == "failed"]
    console.print(f"{len(rows) - len(failed)} indexed, {len(failed)} failed.")
    for row in failed:
        console.print(f"  [red]failed[/red] {row['title']}: {row['error']}")
    return len(failed)


def watch_build(index_id: int) -> None:
    """Show a new index's build until it is active (or fails)."""
    from webapp.knowledge.indexes import model_label
    from webapp.knowledge.models import SearchIndex, SearchIndexState

    with _progress() as bar:
        task = bar.add_task("documents", total=None, status=SearchIndexState.BUILDING)
        while True:
            index = SearchIndex.objects.get(id=index_id)
            skipped = index.skips.count()
            bar.update(
                task,
                total=index.documents_total or None,
                completed=index.documents_done,
                status=f"{index.state}, {skipped} not written" if skipped else index.state,
            )
            if index.state != SearchIndexState.BUILDING:
                break
            time.sleep(0.5)
    if index.state != SearchIndexState.ACTIVE:
        raise click.ClickException(f"index {index.name} is {index.state}, not active")
    console.print(
        f"Index {index.name} with {model_label(index)} is active "
        f"({index.documents_done} documents); the old index was removed."
    )
    _report_skipped(index)


def _report_skipped(index: SearchIndex) -> None:
    """The documents a build could not write, each with its reason (the switch failed them)."""
    skips = list(index.skips.select_related("document__collection"))
    if not skips:
        return
    console.print(
        f"[red]{len(skips)} documents could not be written to the new index[/red]: they are "
        "marked failed; fix their files, then 'enclave retry --failed --collection NAME'."
    )
    for skip in skips:
        document = skip.document
        console.print(
            f"  [red]failed[/red] {document.title} ({document.collection}): {skip.message}"
        )
