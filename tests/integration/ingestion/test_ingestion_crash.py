"""Crash safety: SIGKILL the process that owns the worker mid-batch, restart, nothing is lost.

``enclave serve`` runs the worker in-process on the embedded defaults, so
killing it kills the worker mid-document. On restart it requeues every
unfinished document; each is redone from scratch with deterministic point
ids, so the index ends with exactly one point per chunk: no duplicates, no
orphans.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

DOCUMENTS = 200
TOPICS = ("parking", "badges", "laptops", "travel", "holidays", "canteen", "printing", "wifi")


def _write_batch(folder: Path) -> None:
    folder.mkdir()
    for number in range(DOCUMENTS):
        topic = TOPICS[number % len(TOPICS)]
        (folder / f"note-{number:03d}.txt").write_text(
            f"Office note {number}: the {topic} rule number {number} applies from "
            f"week {number % 52 + 1}.",
            encoding="utf-8",
        )


def _status_counts(env: dict[str, str], home: Path) -> dict[str, int]:
    """Documents per status, read straight from the server's database."""
    query = "SELECT status, COUNT(*) FROM knowledge_document GROUP BY status"
    url = env.get("ENCLAVE_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            return dict(connection.execute(query).fetchall())
    connection = sqlite3.connect(f"file:{home / 'enclave.sqlite3'}?mode=ro", uri=True, timeout=10)
    try:
        return dict(connection.execute(query).fetchall())
    finally:
        connection.close()


def _wait(env: dict[str, str], home: Path, done, *, timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while True:
        counts = _status_counts(env, home)
        if done(counts):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; documents per status: {counts}")
        time.sleep(0.2)


def test_sigkill_mid_batch_then_restart_indexes_everything_exactly_once(tmp_path_factory):
    home = tmp_path_factory.mktemp("crash-home")
    env = process_env(home)
    notes = tmp_path_factory.mktemp("crash-notes") / "notes"  # never read under the home
    _write_batch(notes)
    queued = run_cli(["ingest", str(notes), "--collection", "Notes", "--no-wait"], env)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    assert f"Queued {DOCUMENTS} documents" in queued.stdout

    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    in_progress = ("parsing", "chunking", "embedding", "indexing")
    try:
        before = _wait(
            env,
            home,
            lambda c: c.get("indexed", 0) >= 20 and any(c.get(s) for s in in_progress),
            timeout_s=300,
        )
        assert serve.process is not None
        serve.process.kill()  # SIGKILL: no cleanup, the running task dies mid-document
        serve.process.wait()
        serve.process = None
    finally:
        serve.stop()
    assert before.get("indexed", 0) < DOCUMENTS

    serve = ServeProcess(env, home / "serve-again.log")
    serve.start()
    try:
        after = _wait(env, home, lambda c: c.get("indexed", 0) == DOCUMENTS, timeout_s=400)
    finally:
        serve.stop()
    assert after == {"indexed": DOCUMENTS}
    assert "Requeued" in (home / "serve-again.log").read_text()

    totals = run_cli(
        [
            "manage",
            "shell",
            "-c",
            "from django.db.models import Sum; from webapp.knowledge.models import Document; "
            "print('chunks', Document.objects.aggregate(n=Sum('chunk_count'))['n'])",
        ],
        env,
    )
    assert totals.returncode == 0, totals.stderr
    expected_chunks = int(re.search(r"chunks (\d+)", totals.stdout).group(1))
    assert expected_chunks == DOCUMENTS  # one chunk per short note
    doctor = run_cli(["doctor"], env)
    assert re.search(rf"\b{expected_chunks} chunks\b", doctor.stdout), doctor.stdout
