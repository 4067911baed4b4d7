"""Backup while the server runs, restore into a fresh home, same answers with the same citations.

Along the admin's path: documents are uploaded through the REST API of a running
``enclave serve``, an employee asks, ``enclave backup`` runs while the server is
up (the index snapshot is taken by the server's own worker), ``enclave restore``
fills a fresh home, and a server started there gives the employee the same
answers citing the same documents, titles and pages. Stage 1 runs it on SQLite
and Qdrant Edge; stage 2 (``-m integration`` with ``ENCLAVE_TEST_DATABASE_URL``)
on PostgreSQL (pg_dump / pg_restore) and Redis.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.documents import (
    BADGE_SENTENCE,
    LEAVE_SENTENCE,
    make_handbook_pdf,
    make_security_docx,
)
from tests.support.server import process_env, run_cli
from tests.support.site import ADMIN, Site, prepare_users, running_site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]

QUESTIONS = (
    "How many days of annual leave do employees get?",
    "What must I do when I lose my security badge?",
)
SCOPES = {"alice": "read,ask", ADMIN: "admin,ingest,read"}


@dataclass
class Backup:
    folder: Path
    answers: dict[str, tuple]
    tokens: dict[str, str]
    output: str
    home: Path  # the home that was backed up
    originals: dict[int, bytes]  # each uploaded file's bytes, by document id


def _answers(site: Site) -> dict[str, tuple]:
    """Each question's answer text and citations (document id, title, page) as alice gets them."""
    answers = {}
    for question in QUESTIONS:
        reply = site.api("alice").post("/api/v1/ask", json={"question": question})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        cited = tuple((c["document_id"], c["title"], c["page"]) for c in body["citations"])
        answers[question] = (body["answer"], cited)
    return answers


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backup]:
    """A site with two documents, asked, then backed up while it runs."""
    home = tmp_path_factory.mktemp("source-home")
    files = tmp_path_factory.mktemp("files")
    env = process_env(home)
    tokens = prepare_users(env, {"alice": ("staff",)}, SCOPES)
    folder = tmp_path_factory.mktemp("backups") / "monday"
    with running_site(env, home, tokens) as site:
        collection = site.create_collection("Policies", ["staff"])
        paths = [
            make_handbook_pdf(files / "handbook.pdf"),
            make_security_docx(files / "security.docx"),
        ]
        ids = site.upload_all(collection, paths)
        rows = site.wait_documents(list(ids.values()))
        assert {row["status"] for row in rows.values()} == {"indexed"}
        answers = _answers(site)
        done = run_cli(["backup", str(folder)], env)
        assert done.returncode == 0, done.stdout + done.stderr
    originals = {ids[path.name]: path.read_bytes() for path in paths}
    yield Backup(folder, answers, tokens, done.stdout, home, originals)


def test_the_answers_cite_the_uploaded_documents_before_the_backup(backup: Backup) -> None:
    leave, badge = (backup.answers[q] for q in QUESTIONS)
    assert LEAVE_SENTENCE in leave[0]
    assert leave[1][0][1:] == ("handbook", 2)  # title (from the file name) and page
    assert BADGE_SENTENCE in badge[0]
    assert badge[1][0][1] == "Security Policy"
    assert "Backup complete" in backup.output
    assert "2 documents, 2 documents indexed" in backup.output


def test_a_restored_home_gives_the_same_answers_and_originals_from_its_own_folder(
    backup: Backup, tmp_path: Path
) -> None:
    home = tmp_path / "restored-home"
    env = process_env(home)
    # The backed-up home's originals out of reach, as on another machine.
    away = backup.home / "uploads-away"
    (backup.home / "uploads").rename(away)
    try:
        done = run_cli(["restore", str(backup.folder)], env)

        assert done.returncode == 0, done.stdout + done.stderr
        assert "2 documents" in done.stdout
        with running_site(env, home, backup.tokens) as site:
            assert _answers(site) == backup.answers
            alice = site.web("alice")
            for document_id, original in backup.originals.items():
                download = alice.get(f"/documents/{document_id}/download")
                assert download.status_code == 200
                assert download.content == original
    finally:
        away.rename(backup.home / "uploads")


def test_restore_over_a_home_with_data_is_refused_without_force(
    backup: Backup, tmp_path: Path
) -> None:
    home = tmp_path / "busy-home"
    env = process_env(home)
    assert run_cli(["restore", str(backup.folder)], env).returncode == 0
    uploads = sorted(p.name for p in (home / "uploads").iterdir())

    refused = run_cli(["restore", str(backup.folder)], env)

    assert refused.returncode == 1
    assert "already holds data" in refused.stderr and "--force" in refused.stderr
    assert "Database" not in refused.stdout  # nothing was replaced
    assert sorted(p.name for p in (home / "uploads").iterdir()) == uploads
    forced = run_cli(["restore", str(backup.folder), "--force"], env)
    assert forced.returncode == 0, forced.stdout + forced.stderr


def test_a_tampered_backup_is_refused_naming_the_file(backup: Backup, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(backup.folder, tampered)
    original = sorted((tampered / "uploads").iterdir())[0]
    original.write_bytes(original.read_bytes() + b"\n")
    home = tmp_path / "home"

    refused = run_cli(["restore", str(tampered)], process_env(home))

    assert refused.returncode == 1
    assert "is damaged; nothing was restored" in refused.stderr
    assert f"changed (sha256 differs): uploads/{original.name}" in refused.stderr
    assert not (home / "uploads").exists() or not any((home / "uploads").iterdir())


def test_a_backup_that_did_not_finish_is_refused(backup: Backup, tmp_path: Path) -> None:
    unfinished = tmp_path / "unfinished"
    shutil.copytree(backup.folder, unfinished)
    (unfinished / "manifest.json").unlink()

    refused = run_cli(["restore", str(unfinished)], process_env(tmp_path / "home"))

    assert refused.returncode == 1
    assert "is not a complete backup: manifest.json is missing" in refused.stderr
