"""``enclave eval sets``: the customer's own questions, evaluated on the site's own index.

    enclave eval sets add FILE --name NAME [--user ADMIN]
    enclave eval sets list
    enclave eval sets run NAME [--kind retrieval|answers] [--as USER]
    enclave eval sets history NAME [--kind retrieval|answers]
    enclave eval sets check-index [--switch-anyway]

Unlike ``enclave eval retrieval`` and ``enclave eval answers`` (public data in a
scratch index), these ask the site's active index as a user, through the chat's
permission filter. Formats: ``webapp/evalsets/formats.py`` and docs/evaluation-sets.md.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from webapp import runtime
from webapp.cli.installation import open_installation
from webapp.cli.output import console
from webapp.config.settings import get_settings

__all__ = ["sets_group"]

KINDS = ("retrieval", "answers")
# Columns of the history table per kind: (metrics key, heading).
COLUMNS = {
    "retrieval": (
        ("questions", "questions"),
        ("recall@1", "recall@1"),
        ("recall@3", "recall@3"),
        ("recall@5", "recall@5"),
        ("ndcg@10", "nDCG@10"),
    ),
    "answers": (
        ("questions", "questions"),
        ("answered", "answered (ans.)"),
        ("abstained", "abstained (unans.)"),
        ("facts_found", "facts found"),
        ("f1", "token F1"),
        ("citation_precision", "citation precision"),
        ("coverage", "citation coverage"),
    ),
}


@click.group("sets")
def sets_group() -> None:
    """Your own questions and answers: upload, run on the site's index, see quality over time."""


def _setup() -> None:
    open_installation()


def _user(username: str | None) -> Any:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    if username is None:
        found = users.filter(is_staff=True).order_by("id").first()
        if found is None:
            raise click.ClickException("no active admin: name one with --user")
        return found
    found = users.filter(username=username).first()
    if found is None:
        raise click.ClickException(f"no such active user: {username}")
    return found


@sets_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the set.")
@click.option("--user", "username", default=None, help="Admin who owns it (default: the first).")
def add_command(file: Path, name: str, username: str | None) -> None:
    """Store a CSV or JSONL set (nothing is stored when a row is bad)."""
    _setup()
    from webapp.core.errors import EnclaveError
    from webapp.evalsets.services import eval_set_create

    owner = _user(username)
    try:
        eval_set = eval_set_create(
            name=name, content=file.read_bytes(), filename=file.name, actor=owner
        )
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from None
    count = eval_set.items.count()
    console.print(f"Stored {name!r}: {count} questions ({eval_set.languages}).")


@sets_group.command("list")
def list_command() -> None:
    """Every set with its questions and latest run."""
    _setup()
    from webapp.evalsets.selectors import eval_set_list

    table = Table("name", "questions", "languages", "uploaded", "by", "latest run")
    for eval_set in eval_set_list():
        latest = eval_set.runs.order_by("-created_at", "-id").first()
        table.add_row(
            eval_set.name,
            str(eval_set.questions),
            eval_set.languages,
            f"{eval_set.created_at:%Y-%m-%d %H:%M}",
            eval_set.uploaded_by.get_username() if eval_set.uploaded_by else "",
            f"{latest.kind} {latest.status} {latest.created_at:%Y-%m-%d %H:%M}" if latest else "",
        )
    console.print(table)


@sets_group.command("run")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), default="retrieval", show_default=True)
@click.option("--as", "username", default=None, help="Ask as this user (default: the owner).")
def run_command(name: str, kind: str, username: str | None) -> None:
    """Run a set on the active index and print its metrics."""
    _setup()
    from django.db import transaction

    from webapp.core.errors import EnclaveError
    from webapp.core.permissions import SYSTEM
    from webapp.evalsets.selectors import eval_set_get

    try:
        eval_set = eval_set_get(name=name)
        asker = _user(username) if username else eval_set.uploaded_by
        with transaction.atomic():
            from webapp.evalsets.services import eval_run_start

            run = eval_run_start(eval_set=eval_set, kind=kind, actor=SYSTEM, run_as=asker)
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from None
    finished = _with_worker(lambda: _watch(run.id))
    if finished.status != "done":
        raise click.ClickException(f"the run failed: {finished.error_message}")
    _print_history([finished], kind)


def _with_worker(wait: Any) -> Any:
    """``wait()`` with a worker running: the server's, or one in this process (embedded)."""
    embedded = None
    if get_settings().embedded and not runtime.serve_is_running():
        embedded = runtime.EmbeddedRuntime()
        embedded.start()
    try:
        return wait()
    finally:
        if embedded is not None:
            embedded.stop()


def _watch(run_id: int) -> Any:
    from webapp.evalsets.models import EvalRun

    shown = -1
    while True:
        run = EvalRun.objects.select_related("run_as").get(id=run_id)
        if run.questions_done != shown:
            shown = run.questions_done
            console.print(f"{run.status}: {run.questions_done}/{run.questions_total} questions")
        if run.status in ("done", "failed"):
            return run
        time.sleep(0.5)


@sets_group.command("history")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="One kind only.")
def history_command(name: str, kind: str | None) -> None:
    """The set's runs, oldest first, with their date, index and metrics."""
    _setup()
    from webapp.core.errors import EnclaveError
    from webapp.evalsets.selectors import eval_runs_history, eval_set_get

    try:
        eval_set = eval_set_get(name=name)
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from None
    runs = list(eval_runs_history(eval_set=eval_set, kind=kind))
    if not runs:
        console.print(f"{name!r} has not been run yet.")
    for each in KINDS:
        of_kind = [r for r in runs if r.kind == each]
        if of_kind:
            _print_history(of_kind, each)


def _print_history(runs: list[Any], kind: str) -> None:
    table = Table("date", "status", "index (model, backend)", "asked as", title=kind)
    for _key, heading in COLUMNS[kind]:
        table.add_column(heading, justify="right")
    for run in runs:
        cells = [_cell(run.metrics.get(key)) for key, _heading in COLUMNS[kind]]
        table.add_row(
            f"{(run.finished_at or run.created_at):%Y-%m-%d %H:%M}",
            run.status,
            run.index_model,
            run.run_as.get_username() if run.run_as else "",
            *cells,
        )
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


@sets_group.command("check-index")
@click.option("--switch-anyway", is_flag=True, help="Switch to the held index although worse.")
def check_index_command(switch_anyway: bool) -> None:
    """Show a rebuilt index held because a set got worse on it; optionally switch to it."""
    _setup()
    from webapp.core.permissions import SYSTEM
    from webapp.evalsets.gating import index_switch_confirm
    from webapp.evalsets.selectors import index_check_held

    check = index_check_held()
    if check is None:
        console.print("No rebuilt index is waiting for confirmation.")
        return
    console.print(f"Index {check.index.name} ({check.new_model}) is held: a set got worse.")
    table = Table("set", "recall@5 now", "recall@5 new", "nDCG@10 now", "nDCG@10 new", "worse")
    for row in check.comparison:
        old, new = row["old"], row["new"]
        table.add_row(
            row["set"],
            _cell(old["recall@5"]),
            _cell(new["recall@5"]),
            _cell(old["ndcg@10"]),
            _cell(new["ndcg@10"]),
            ", ".join(row["worse"]) or "no",
        )
    console.print(table)
    if not switch_anyway:
        console.print("Run again with --switch-anyway to switch to it.")
        return
    from django.db import transaction

    with transaction.atomic():
        index = index_switch_confirm(actor=SYSTEM)
    _with_worker(lambda: _wait_active(index.id))
    console.print(f"Index {index.name} ({check.new_model}) is active.")


def _wait_active(index_id: int) -> None:
    from webapp.knowledge.models import SearchIndex

    while SearchIndex.objects.get(id=index_id).state != "active":
        time.sleep(0.5)
