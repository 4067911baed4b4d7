"""Ingested and synced folders: links are not followed, special files and Enclave's home not read.

A writer of a synced share could link the server's secret key or /etc/passwd
into it; both were indexed and shown to the collection's readers. The same
walk serves ``enclave ingest DIR``, ``enclave sync`` and ENCLAVE_SYNC_FOLDERS,
and every entry it leaves out is reported.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support.server import process_env, run_cli
from webapp.chat.services import search_passages
from webapp.config.settings import get_settings, reset_settings_cache
from webapp.knowledge.folders import UnsafeFileError, folder_scan, open_folder_file
from webapp.knowledge.models import Document
from webapp.knowledge.sync import folder_sync
from worker.contracts import enqueue_sync_folders

SECRET = "ZEBRAPLUTONIUM-server-secret-never-indexed"
NOTES = "The lunch menu changes every Monday morning."
RLO = "\u202e"
LINK = "symbolic link (links are not followed)"


def hostile_share(root: Path, home: Path) -> Path:
    """A share with two good files, links out of it, a link to a folder, a FIFO."""
    share = root / "share"
    (share / "sub").mkdir(parents=True)
    (share / "notes.txt").write_text(NOTES)
    (share / "sub" / f"invoice {RLO}fdp.txt").write_text("Invoices are approved by finance.")
    home.mkdir(parents=True, exist_ok=True)
    (home / "secret_key").write_text(SECRET)
    (share / "key.txt").symlink_to(home / "secret_key")
    (share / "passwd.txt").symlink_to("/etc/passwd")
    (share / "inside-link.txt").symlink_to(share / "notes.txt")
    (share / "etc").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(share / "pipe.txt")
    return share


def expected_skips(share: Path) -> list[tuple[str, str]]:
    return [
        (str(share / "etc"), LINK),
        (str(share / "inside-link.txt"), LINK),
        (str(share / "key.txt"), LINK),
        (str(share / "passwd.txt"), LINK),
        (str(share / "pipe.txt"), "not a regular file (a named pipe)"),
    ]


def test_the_walk_takes_regular_files_only_and_says_what_it_left_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    share = hostile_share(tmp_path, home)
    (share / ".git").mkdir()
    (share / ".git" / "config.txt").write_text("hidden")

    scan = folder_scan(share, home=home)
    around_home = folder_scan(tmp_path, home=home)

    assert [f.path for f in scan.files] == [
        share / "notes.txt",
        share / "sub" / f"invoice {RLO}fdp.txt",
    ]
    assert [(s.path, s.reason) for s in scan.skipped] == expected_skips(share)
    assert (str(home), "inside Enclave's home directory") in [
        (s.path, s.reason) for s in around_home.skipped
    ]
    assert [(s.path, s.reason) for s in folder_scan(home, home=home).skipped] == [
        (str(home), "inside Enclave's home directory")
    ]


def test_a_file_swapped_for_a_link_after_the_walk_is_not_opened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    share = hostile_share(tmp_path, home)
    scan = folder_scan(share, home=home)
    notes = scan.files[0].path
    notes.unlink()
    notes.symlink_to(home / "secret_key")  # after the walk, before the read
    moved = share / "sub"
    moved.rename(tmp_path / "old-sub")
    moved.symlink_to(home, target_is_directory=True)  # a folder swapped for a link
    (home / f"invoice {RLO}fdp.txt").write_text(SECRET)

    with pytest.raises(UnsafeFileError, match="symbolic link"):
        open_folder_file(notes, home=home, inside=notes.parent)
    with pytest.raises(UnsafeFileError, match="inside Enclave's home directory"):
        open_folder_file(scan.files[1].path, home=home, inside=scan.files[1].path.parent)
    with pytest.raises(UnsafeFileError, match="named pipe"):
        open_folder_file(share / "pipe.txt", home=home)  # returns at once: never blocks


@pytest.mark.django_db(transaction=True)
def test_sync_reads_no_link_and_reports_every_skipped_entry(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    home = get_settings().home_dir
    share = hostile_share(tmp_path, tmp_path / "fake-home")
    (share / "home-key.txt").symlink_to(home / "secret_key")
    (home / "secret_key").write_text(SECRET)
    collection = make_collection("Share")

    report = folder_sync(collection=collection, folder=share, actor=admin)
    wait_indexed(report.queued)

    names = sorted(
        Document.objects.filter(collection=collection).values_list("filename", flat=True)
    )
    assert names == ["invoice fdp.txt", "notes.txt"]
    assert [(s.path, s.reason) for s in report.skipped] == sorted(
        [*expected_skips(share), (str(share / "home-key.txt"), LINK)]
    )
    assert [p.text for p in search_passages(user=reader, query=NOTES)][:1] == [NOTES]
    assert all(SECRET not in p.text for p in search_passages(user=reader, query=SECRET))
    assert all("root:x:0:0" not in p.text for p in search_passages(user=reader, query="root bash"))


@pytest.mark.django_db(transaction=True)
def test_configured_sync_folders_skip_links_too(tmp_path, monkeypatch, wait_indexed, live_worker):
    share = hostile_share(tmp_path, tmp_path / "fake-home")
    monkeypatch.setenv("ENCLAVE_SYNC_FOLDERS", f'{{"Linked share": "{share}"}}')
    reset_settings_cache()
    try:
        enqueue_sync_folders()
        deadline = time.monotonic() + 120
        while Document.objects.filter(collection__name="Linked share").count() < 2:
            assert time.monotonic() < deadline, "the sync task did not run"
            time.sleep(0.2)
        documents = list(Document.objects.filter(collection__name="Linked share"))
        wait_indexed([d.id for d in documents])
    finally:
        monkeypatch.delenv("ENCLAVE_SYNC_FOLDERS")
        reset_settings_cache()

    assert sorted(d.filename for d in documents) == ["invoice fdp.txt", "notes.txt"]


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_ingest_and_sync_commands_list_what_they_skipped(tmp_path_factory, tmp_path):
    home = tmp_path_factory.mktemp("folders-home")
    env = process_env(home)
    share = hostile_share(tmp_path, home)

    ingested = run_cli(["ingest", str(share), "--collection", "Share"], env)
    synced = run_cli(["sync", str(share), "--collection", "Synced"], env)

    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert "Skipped 5 entries:" in ingested.stdout
    for path, reason in expected_skips(share):
        assert f"skipped {path}: {reason}" in ingested.stdout
    assert "2 indexed, 0 failed." in ingested.stdout
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert (
        "2 added, 0 changed, 0 renamed, 0 deleted, 0 unchanged, 0 duplicates, 5 skipped."
        in synced.stdout
    )
    assert f"skipped {share / 'key.txt'}: {LINK}" in synced.stdout
