"""The terminal path, as separate processes: ingest with a progress bar, ask, doctor."""

from __future__ import annotations

import re

import pytest

from tests.support.documents import make_corrupt_pdf, make_handbook_pdf, make_security_docx
from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    return process_env(tmp_path_factory.mktemp("cli-home"))


def test_ingest_then_ask_from_the_terminal(cli_env, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_handbook_pdf(folder / "handbook.pdf")
    make_security_docx(folder / "security.docx")
    make_corrupt_pdf(folder / "broken.pdf")

    ingested = run_cli(["ingest", str(folder), "--collection", "HR", "--group", "hr"], cli_env)
    assert ingested.returncode == 1, ingested.stdout + ingested.stderr  # one file failed
    assert "2 indexed, 1 failed." in ingested.stdout
    assert "broken: " in ingested.stdout and "PDF" in ingested.stdout

    assert (
        run_cli(
            ["user", "alice", "--password", "alice-pass-123", "--group", "hr"], cli_env
        ).returncode
        == 0
    )
    assert (
        run_cli(["user", "bob", "--password", "bob-pass-123", "--group", "eng"], cli_env).returncode
        == 0
    )

    alice = run_cli(["ask", QUESTION, "--user", "alice"], cli_env)
    assert alice.returncode == 0, alice.stderr
    assert "twenty-seven days" in alice.stdout
    assert "handbook, page 2" in alice.stdout
    # The answer alone: no log lines on stdout, and none on stderr unless asked for.
    assert " INFO " not in alice.stdout and alice.stderr == ""
    verbose = run_cli(["--verbose", "ask", QUESTION, "--user", "alice"], cli_env)
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stdout == alice.stdout
    assert " INFO retrieval.search search groups=" in verbose.stderr

    bob = run_cli(["ask", QUESTION, "--user", "bob"], cli_env)
    assert bob.returncode == 0, bob.stderr
    assert "twenty-seven" not in bob.stdout
    assert "Sources:" not in bob.stdout

    again = run_cli(["ingest", str(folder / "handbook.pdf"), "--collection", "HR"], cli_env)
    assert again.returncode == 0 and "1 indexed, 0 failed." in again.stdout

    doctor = run_cli(["doctor"], cli_env)
    assert doctor.returncode == 0, doctor.stdout
    lines = doctor.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ok"] * 7
    assert [line.split()[1] for line in lines][-1] == "ocr"
    assert "extractive" in doctor.stdout
    assert (
        "search index     active enclave_chunks, built with use-multilingual-v3 (packaged), "
        "numpy (512 dims)" in doctor.stdout
    )


def test_a_queued_document_survives_until_serve_starts_and_ask_uses_it(tmp_path_factory, tmp_path):
    home = tmp_path_factory.mktemp("restart-home")
    env = process_env(home)
    pdf = make_handbook_pdf(tmp_path / "handbook.pdf")
    queued = run_cli(["ingest", str(pdf), "--collection", "HR", "--no-wait"], env)
    assert queued.returncode == 0 and "Queued 1 documents" in queued.stdout

    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    try:
        # With serve owning the index, ingest only watches the queued document finish,
        # and ask goes through the server's API.
        watched = run_cli(["ingest", str(pdf), "--collection", "HR"], env)
        answered = run_cli(["ask", QUESTION, "--user", "admin"], env)
    finally:
        serve.stop()
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "1 indexed, 0 failed." in watched.stdout
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "twenty-seven days" in answered.stdout
    assert "handbook, page 2" in answered.stdout
    # serve loaded the engines before its first request and took what it had made by
    # then (libraries, models: hundreds of thousands of objects) out of later GC passes.
    warmed = re.search(
        r"warmed up in [\d.]+ s; (\d+) start-up objects exempt", (home / "serve.log").read_text()
    )
    assert warmed is not None and int(warmed.group(1)) > 10_000
