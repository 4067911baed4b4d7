"""Remote sources through the real sync path: WsgiDAV and Samba's smbd on 127.0.0.1.

Each server serves a temporary folder; the sync reads it through the network
client Enclave uses in production (httpx PROPFIND, smbprotocol), the live
worker indexes, and a search finds or no longer finds the text.
"""

from __future__ import annotations

import json
import logging
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.file_servers import smbd_server, webdav_server
from tests.support.server import process_env, run_cli
from webapp.chat.services import search_passages
from webapp.config.settings import get_settings, reset_settings_cache
from webapp.knowledge.models import Document
from webapp.knowledge.sources import SourceAuthError, SourceCredentials
from webapp.knowledge.sources.base import ESCAPE
from webapp.knowledge.sources.smb import SmbSource
from webapp.knowledge.sources.webdav import WebDavSource
from webapp.knowledge.sync import source_sync
from worker.contracts import enqueue_sync_folders

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OLD_RULE = "Visitors must sign the guest book at the reception desk on arrival."
NEW_RULE = "Visitors now register on the tablet beside the lift and wear a green lanyard."
MENU = "The canteen serves grilled sardines every Thursday in June."
SECRET = "The vault combination is kept by the facilities manager alone."
PASSWORD = "Sh4red-Secret-Pa55"
# Hrefs a hostile or broken WebDAV server could list: up and out, another path, another host.
ESCAPES = [
    "/dav/../outside.txt",
    "/dav/sub/%2e%2e/%2e%2e/outside.txt",
    "/elsewhere/x.txt",
    "http://other.example/dav/y.txt",
]
WRONG = "Wr0ng-Guess-Pa55"


def _texts(user, query):
    return [(p.document_id, p.text) for p in search_passages(user=user, query=query)]


def _share(tmp_path: Path) -> Path:
    share = tmp_path / "share"
    (share / "sub").mkdir(parents=True)
    (share / "visitors.txt").write_text(OLD_RULE)
    (share / "sub" / "menu.md").write_text(f"# Canteen\n\n{MENU}\n")
    (share / ".hidden.txt").write_text("ignored")
    (tmp_path / "outside.txt").write_text(SECRET)
    return share


def _no_credentials_anywhere(caplog, *texts: str) -> None:
    """Neither password shows in Enclave's and the clients' log lines, nor in ``texts``."""
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("wsgidav")]
    assert lines, "nothing was logged: the check would prove nothing"
    for secret in (PASSWORD, WRONG):
        assert not [line for line in lines if secret in line]
        assert not [text for text in texts if secret in text]


def _follows_the_share(share, source, bad_source, collection, admin, reader, wait_indexed, caplog):
    """Add, change, delete, wrong credentials: the test both protocols go through."""
    caplog.set_level(logging.DEBUG)
    first = source_sync(collection=collection, source=source, actor=admin)
    assert (len(first.added), first.changed, first.deleted, first.unchanged) == (2, [], [], 0)
    wait_indexed(first.queued)
    by_name = {d.filename: d for d in Document.objects.filter(collection=collection)}
    visitors, menu = by_name["visitors.txt"], by_name["menu.md"]
    assert visitors.source == "sync" and visitors.source_path == f"{source.root}/visitors.txt"
    assert menu.source_path == f"{source.root}/sub/menu.md"
    assert _texts(reader, OLD_RULE)[0] == (visitors.id, OLD_RULE)
    assert all(text != SECRET for _, text in _texts(reader, SECRET))

    again = source_sync(collection=collection, source=source, actor=admin)
    assert (again.queued, again.deleted, again.unchanged) == ([], [], 2)

    (share / "visitors.txt").write_text(NEW_RULE)
    (share / "sub" / "menu.md").unlink()
    changed = source_sync(collection=collection, source=source, actor=admin)
    assert (changed.changed, changed.deleted, changed.added) == ([visitors.id], [menu.id], [])
    rows = wait_indexed(changed.queued)
    assert rows[visitors.id].version == 2 and rows[visitors.id].status == "indexed"
    assert _texts(reader, NEW_RULE)[0] == (visitors.id, NEW_RULE)
    assert all(text not in (OLD_RULE, MENU) for _, text in _texts(reader, MENU))

    (share / "visitors.txt").unlink()  # gone from the share, but the password is wrong
    with pytest.raises(SourceAuthError) as refused:
        source_sync(collection=collection, source=bad_source, actor=admin)
    assert str(refused.value).startswith(f"{source.root}: the server refused the credentials")
    assert list(Document.objects.filter(collection=collection).values_list("id", flat=True)) == [
        visitors.id
    ]
    assert _texts(reader, NEW_RULE)[0] == (visitors.id, NEW_RULE)  # nothing lost
    _no_credentials_anywhere(caplog, str(refused.value), repr(source), repr(bad_source))


def test_webdav_share_is_followed(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker, caplog
):
    share = _share(tmp_path)
    with webdav_server(share, user="svc-enclave", password=PASSWORD) as server:
        source = WebDavSource(server.url, credentials=SourceCredentials("svc-enclave", PASSWORD))
        bad = WebDavSource(server.url, credentials=SourceCredentials("svc-enclave", WRONG))
        try:
            _follows_the_share(
                share,
                source,
                bad,
                make_collection("Nextcloud"),
                admin,
                reader,
                wait_indexed,
                caplog,
            )
        finally:
            source.close()
            bad.close()


def _lying_server(app):
    """WSGI middleware: WsgiDAV's listings plus hrefs that leave the configured root."""

    def lie(body: bytes) -> bytes:
        tree = ET.fromstring(body)
        for href in ESCAPES:
            response = ET.SubElement(tree, "{DAV:}response")
            ET.SubElement(response, "{DAV:}href").text = href
            propstat = ET.SubElement(response, "{DAV:}propstat")
            prop = ET.SubElement(propstat, "{DAV:}prop")
            ET.SubElement(prop, "{DAV:}resourcetype")
            ET.SubElement(prop, "{DAV:}getcontentlength").text = "9"
            ET.SubElement(propstat, "{DAV:}status").text = "HTTP/1.1 200 OK"
        return ET.tostring(tree, xml_declaration=True, encoding="utf-8")

    def lying(environ, start_response):
        if environ["REQUEST_METHOD"] != "PROPFIND":
            return app(environ, start_response)
        captured = {}

        def keep(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)

        body = b"".join(app(environ, keep))
        if captured["status"].startswith("207"):
            body = lie(body)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return lying


def test_webdav_paths_outside_the_root_are_refused(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    share = _share(tmp_path)
    with webdav_server(share, user="svc", password=PASSWORD, wrap=_lying_server) as server:
        source = WebDavSource(server.url, credentials=SourceCredentials("svc", PASSWORD))
        try:
            report = source_sync(collection=make_collection("Lying"), source=source, actor=admin)
        finally:
            source.close()
    wait_indexed(report.queued)
    refused = sorted(entry.path for entry in report.skipped if entry.reason == ESCAPE)
    # Each folder's listing carries the four lies: both folders report them.
    assert sorted(set(refused)) == [
        "/dav/../outside.txt",
        "/dav/sub/../../outside.txt",
        "/elsewhere/x.txt",
        "http://other.example/dav/y.txt",
    ]
    assert len(report.added) == 2
    assert all(text != SECRET for _, text in _texts(reader, SECRET))
    assert all(d.source_path.startswith(f"{server.url}/") for d in Document.objects.all())


def test_configured_webdav_source_is_synced_by_the_periodic_task(
    tmp_path, monkeypatch, admin, wait_indexed, live_worker, caplog
):
    share = _share(tmp_path)
    password_file = tmp_path / "dav-password"
    password_file.write_text(PASSWORD + "\n")
    caplog.set_level(logging.DEBUG)
    with webdav_server(share, user="svc", password=PASSWORD) as server:
        spec = {"url": server.url + "/", "user": "svc", "password_file": str(password_file)}
        monkeypatch.setenv("ENCLAVE_SYNC_SOURCES", json.dumps({"Handbook": spec}))
        reset_settings_cache()
        try:
            assert PASSWORD not in repr(get_settings())
            enqueue_sync_folders()  # what beat (or the embedded reconciler) sends
            deadline = time.monotonic() + 120
            while Document.objects.filter(collection__name="Handbook").count() < 2:
                assert time.monotonic() < deadline, "the sync task did not run"
                time.sleep(0.2)
        finally:
            monkeypatch.delenv("ENCLAVE_SYNC_SOURCES")
            reset_settings_cache()
    documents = Document.objects.filter(collection__name="Handbook").order_by("source_path")
    rows = wait_indexed([d.id for d in documents])
    assert [d.source_path for d in documents] == [
        f"{server.url}/sub/menu.md",
        f"{server.url}/visitors.txt",
    ]
    assert {row.status for row in rows.values()} == {"indexed"}
    assert _texts(admin, MENU)[0][1] == MENU
    _no_credentials_anywhere(caplog)


def test_smb_share_is_followed(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker, caplog
):
    share = _share(tmp_path)
    with smbd_server(share, tmp_path / "samba", password=PASSWORD) as server:
        source = SmbSource(server.url, credentials=SourceCredentials(server.user, PASSWORD))
        bad = SmbSource(server.url, credentials=SourceCredentials(server.user, WRONG))
        try:
            _follows_the_share(
                share,
                source,
                bad,
                make_collection("Shared drive"),
                admin,
                reader,
                wait_indexed,
                caplog,
            )
        finally:
            source.close()
            bad.close()


def test_smb_links_out_of_the_share_are_not_read(
    tmp_path, admin, reader, make_collection, wait_indexed, live_worker
):
    share = _share(tmp_path)
    (share / "vault.txt").symlink_to(tmp_path / "outside.txt")
    (share / "up").symlink_to(tmp_path, target_is_directory=True)
    with smbd_server(share, tmp_path / "samba", password=PASSWORD) as server:
        source = SmbSource(server.url, credentials=SourceCredentials(server.user, PASSWORD))
        try:
            report = source_sync(collection=make_collection("Links"), source=source, actor=admin)
        finally:
            source.close()
    wait_indexed(report.queued)
    names = sorted(Document.objects.values_list("filename", flat=True))
    assert names == ["menu.md", "visitors.txt"]
    assert all(text != SECRET for _, text in _texts(reader, SECRET))


@pytest.mark.timeout(600)
def test_enclave_sync_reads_a_webdav_url(tmp_path_factory, tmp_path):
    share = _share(tmp_path)
    env = process_env(tmp_path_factory.mktemp("connector-home"), DAV_PASSWORD=PASSWORD)
    wrong = tmp_path / "wrong-password"
    wrong.write_text(WRONG)
    with webdav_server(share, user="svc", password=PASSWORD) as server:
        args = ["sync", server.url, "--collection", "Nextcloud", "--user", "svc"]
        synced = run_cli([*args, "--password-env", "DAV_PASSWORD"], env)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        summary = "2 added, 0 changed, 0 renamed, 0 deleted, 0 unchanged, 0 duplicates, 0 skipped."
        assert summary in synced.stdout
        assert "2 indexed, 0 failed." in synced.stdout
        (share / "visitors.txt").unlink()
        refused = run_cli([*args, "--password-file", str(wrong)], env)
        followed = run_cli([*args, "--password-env", "DAV_PASSWORD"], env)
    assert followed.returncode == 0, followed.stdout + followed.stderr
    # The refused pass deleted nothing: the removal is seen by the next one.
    assert "0 added, 0 changed, 0 renamed, 1 deleted, 1 unchanged" in followed.stdout
    assert refused.returncode == 1
    assert f"Error: {server.url}: the server refused the credentials (HTTP 401)" in refused.stderr
    for output in (synced.stdout + synced.stderr, refused.stdout + refused.stderr):
        assert PASSWORD not in output and WRONG not in output
