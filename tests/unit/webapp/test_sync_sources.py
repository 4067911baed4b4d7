"""Remote sync sources: which paths a server may list, and where credentials may not show."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from webapp.config.settings import EnclaveSettings
from webapp.knowledge.sources import SourceAuthError, SourceCredentials, SourceError
from webapp.knowledge.sources.base import public_url, read_password, relative_path
from webapp.knowledge.sources.smb import SmbSource
from webapp.knowledge.sources.webdav import WebDavSource

PASSWORD = "Sh4red-Secret-Pa55"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a.txt", "a.txt"),
        ("sub/b é.md", "sub/b é.md"),
        ("sub//./c.txt", "sub/c.txt"),
        ("../etc/passwd", None),
        ("sub/../../x.txt", None),
        ("sub/..", None),
        ("/etc/passwd", None),
        ("sub\\..\\x.txt", None),
        ("a\x00.txt", None),
        ("line\nbreak.txt", None),
        ("", None),
        (".", None),
    ],
)
def test_only_paths_below_the_root_are_taken(raw, clean):
    assert relative_path(raw) == clean


def test_a_url_holding_credentials_is_refused_without_repeating_them():
    with pytest.raises(SourceError) as refused:
        public_url(f"https://svc:{PASSWORD}@dav.example.com/Policies")
    assert PASSWORD not in str(refused.value) and "svc" not in str(refused.value)
    assert public_url("smb://files.example.com/share/Policies/") == (
        "smb://files.example.com/share/Policies"
    )


def test_reprs_name_the_url_never_the_password():
    credentials = SourceCredentials("svc", PASSWORD)
    dav = WebDavSource("https://dav.example.com/Policies/", credentials=credentials)
    smb = SmbSource("smb://files.example.com/share/Policies", credentials=credentials)
    dav.close()
    assert repr(credentials) == "SourceCredentials(user='svc')"
    assert repr(dav) == "WebDavSource('https://dav.example.com/Policies')"
    assert repr(smb) == "SmbSource('smb://files.example.com/share/Policies')"


def test_the_password_comes_from_a_file_or_a_variable(tmp_path, monkeypatch):
    secret = tmp_path / "dav-password"
    secret.write_text(f"{PASSWORD}\n")
    assert read_password(password_file=secret, password_env=None, label="x") == PASSWORD
    monkeypatch.setenv("DAV_PASSWORD", PASSWORD)
    assert read_password(password_file=None, password_env="DAV_PASSWORD", label="x") == PASSWORD
    monkeypatch.delenv("DAV_PASSWORD")
    with pytest.raises(SourceAuthError, match="^https://d/x: the variable DAV_PASSWORD is not set"):
        read_password(password_file=None, password_env="DAV_PASSWORD", label="https://d/x")


def test_configured_sources_hold_no_password(monkeypatch, tmp_path):
    monkeypatch.setenv("ENCLAVE_HOME", str(tmp_path))
    spec = {"url": "https://dav.example.com/P", "user": "svc", "password_env": "DAV_PASSWORD"}
    monkeypatch.setenv("ENCLAVE_SYNC_SOURCES", json.dumps({"Policies": spec}))
    sources = EnclaveSettings().ingestion.sync_sources
    assert sources["Policies"].password_env == "DAV_PASSWORD"
    inline = {**spec, "password": PASSWORD}
    monkeypatch.setenv("ENCLAVE_SYNC_SOURCES", json.dumps({"Policies": inline}))
    with pytest.raises(ValidationError, match="Extra inputs are not permitted") as inline_refused:
        EnclaveSettings()
    assert PASSWORD not in str(inline_refused.value)
    neither = {"url": spec["url"], "user": "svc"}
    monkeypatch.setenv("ENCLAVE_SYNC_SOURCES", json.dumps({"Policies": neither}))
    with pytest.raises(ValidationError, match="exactly one of password_file and password_env"):
        EnclaveSettings()
