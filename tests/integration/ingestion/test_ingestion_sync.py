"""Folder sync through the live worker: the index follows added, changed, renamed, removed files."""

from __future__ import annotations

import time

import pytest

from tests.support.documents import make_security_docx
from webapp.chat.services import search_passages
from webapp.config.settings import reset_settings_cache
from webapp.knowledge.index_engines import get_store
from webapp.knowledge.models import Document
from webapp.knowledge.sync import folder_sync
from worker.contracts import enqueue_sync_folders

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OLD_RULE = "Visitors must sign the guest book at the reception desk on arrival."
NEW_RULE = "Visitors now register on the tablet beside the lift and wear a green lanyard."
MENU = "The canteen serves grilled sardines every Thursday in June."


def _texts(user, query):
    return [(p.document_id, p.text) for p in search_passages(user=user, query=query)]


def test_sync_follows_additions_changes_renames_and_deletions(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    folder = tmp_path / "share"
    (folder / "sub").mkdir(parents=True)
    (folder / "visitors.txt").write_text(OLD_RULE)
    (folder / "sub" / "menu.md").write_text(f"# Canteen\n\n{MENU}\n")
    make_security_docx(folder / "security.docx")
    (folder / ".hidden.txt").write_text("ignored")
    (folder / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")  # not a supported type
    collection = make_collection("Share")

    first = folder_sync(collection=collection, folder=folder, actor=admin)
    assert (len(first.added), first.changed, first.deleted, first.unchanged) == (3, [], [], 0)
    wait_indexed(first.queued)
    by_name = {d.filename: d for d in Document.objects.filter(collection=collection)}
    visitors = by_name["visitors.txt"]
    assert visitors.source == "sync" and visitors.source_path == str(folder / "visitors.txt")
    assert _texts(reader, OLD_RULE)[0] == (visitors.id, OLD_RULE)

    again = folder_sync(collection=collection, folder=folder, actor=admin)
    assert (again.queued, again.deleted, again.renamed, again.unchanged) == ([], [], [], 3)

    (folder / "visitors.txt").write_text(NEW_RULE)
    (folder / "sub" / "menu.md").unlink()
    (folder / "security.docx").rename(folder / "sub" / "security-2026.docx")
    security = by_name["security.docx"]
    security_points = get_store().point_ids(document_id=security.id)
    changed = folder_sync(collection=collection, folder=folder, actor=admin)
    assert changed.changed == [visitors.id]
    assert changed.deleted == [by_name["menu.md"].id]
    assert changed.renamed == [security.id]
    rows = wait_indexed(changed.queued)

    assert rows[visitors.id].version == 2 and rows[visitors.id].status == "indexed"
    assert get_store().count(document_id=visitors.id) == rows[visitors.id].chunk_count == 1
    assert _texts(reader, NEW_RULE)[0] == (visitors.id, NEW_RULE)
    assert all(text != OLD_RULE for _, text in _texts(reader, OLD_RULE))
    assert all(text != MENU for _, text in _texts(reader, MENU))
    assert get_store().count(document_id=by_name["menu.md"].id) == 0
    assert not Document.objects.filter(id=by_name["menu.md"].id).exists()
    renamed = Document.objects.get(id=security.id)
    assert renamed.source_path == str(folder / "sub" / "security-2026.docx")
    assert get_store().point_ids(document_id=security.id) == security_points  # not re-embedded

    (folder / "copy-of-visitors.txt").write_text(NEW_RULE)
    duplicate = folder_sync(collection=collection, folder=folder, actor=admin)
    assert (duplicate.queued, duplicate.duplicates, duplicate.unchanged) == ([], 1, 2)


def test_configured_folders_are_synced_by_the_periodic_task(
    tmp_path, monkeypatch, reader, wait_indexed, live_worker
):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "menu.txt").write_text(MENU)
    monkeypatch.setenv("ENCLAVE_SYNC_FOLDERS", f'{{"Synced policies": "{folder}"}}')
    reset_settings_cache()
    try:
        enqueue_sync_folders()  # what beat (or the embedded reconciler) sends
        deadline = time.monotonic() + 120
        while not Document.objects.filter(collection__name="Synced policies").exists():
            assert time.monotonic() < deadline, "the sync task did not run"
            time.sleep(0.2)
        document = Document.objects.get(collection__name="Synced policies")
        assert wait_indexed([document.id])[document.id].status == "indexed"
    finally:
        monkeypatch.delenv("ENCLAVE_SYNC_FOLDERS")
        reset_settings_cache()
    assert document.source_path == str(folder / "menu.txt")
    assert document.collection.allowed_groups.count() == 0  # admins only until granted
    assert search_passages(user=reader, query=MENU) == []
