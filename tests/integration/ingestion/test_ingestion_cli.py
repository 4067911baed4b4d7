"""Ingestion commands as separate processes: retry after fixing the cause, sync a folder."""

from __future__ import annotations

import pytest

from tests.support.documents import make_security_docx
from tests.support.server import process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def test_retry_failed_after_raising_the_limit(tmp_path_factory, tmp_path):
    home = tmp_path_factory.mktemp("retry-home")
    docx = make_security_docx(tmp_path / "security.docx")
    env = process_env(home)  # once: in CI each call makes a fresh PostgreSQL database
    strict = {**env, "ENCLAVE_MAX_UNZIPPED_MB": "0"}

    first = run_cli(["ingest", str(docx), "--collection", "HR"], strict)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "0 indexed, 1 failed." in first.stdout
    assert "security: The Word document would unpack to" in first.stdout

    retried = run_cli(["retry", "--failed", "--collection", "HR"], env)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "1 indexed, 0 failed." in retried.stdout

    nothing = run_cli(["retry", "--failed", "--collection", "HR"], env)
    assert nothing.returncode == 0 and "No documents to retry." in nothing.stdout
    missing = run_cli(["retry", "--failed", "--collection", "Nope"], env)
    assert missing.returncode == 1 and "no such collection: Nope" in missing.stderr

    share = tmp_path / "share"
    share.mkdir()
    (share / "visitors.txt").write_text("Visitors sign the guest book at reception.")
    (share / "notes.txt").write_text("Desks are cleared every Friday evening.")
    synced = run_cli(["sync", str(share), "--collection", "Share", "--group", "staff"], env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    summary = "2 added, 0 changed, 0 renamed, 0 deleted, 0 unchanged, 0 duplicates, 0 skipped."
    assert summary in synced.stdout
    assert "2 indexed, 0 failed." in synced.stdout
