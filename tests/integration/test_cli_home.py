"""Which installation the terminal works on, and what it prints: from any directory.

Without ``ENCLAVE_HOME`` every command uses the per-user data directory
(``$XDG_DATA_HOME/enclave``), whatever the working directory. A command that
reads an installation says what to do when there is none (or its database is
not migrated), with no traceback and nothing created; ``enclave serve`` prints
the first admin's sign-in last, framed, after the server's start-up lines (the
password itself only on a terminal; a log gets the path of its 0600 file).
"""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from tests.support.server import ENCLAVE, ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

READERS = [
    ["token", "list"],
    ["token", "revoke", "1"],
    ["token", "create", "--user", "admin", "--name", "crm"],
    ["ask", "What is the leave policy?", "--user", "admin"],
    ["doctor"],
    ["retry", "--failed", "--collection", "HR"],
    ["reindex", "--all"],
]


@pytest.fixture
def xdg_env(tmp_path):
    """An ``enclave`` environment with no ENCLAVE_HOME: the default home under tmp/xdg."""
    env = process_env(tmp_path / "unused")
    del env["ENCLAVE_HOME"]
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    return env


def _run(args, env, cwd):
    cwd.mkdir(exist_ok=True)
    return subprocess.run(
        [ENCLAVE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_a_command_on_no_installation_says_what_to_do_and_creates_nothing(xdg_env, tmp_path, args):
    result = _run(args, xdg_env, tmp_path / "elsewhere")

    home = tmp_path / "xdg" / "enclave"
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"Error: no Enclave installation in {home} (ENCLAVE_HOME)." in result.stderr
    assert "Set ENCLAVE_HOME to the installation's directory" in result.stderr
    assert not (tmp_path / "elsewhere" / "var").exists()
    assert not (home / "enclave.sqlite3").exists()


def test_an_unmigrated_database_is_named_with_the_command_that_fixes_it(xdg_env, tmp_path):
    home = tmp_path / "xdg" / "enclave"
    home.mkdir(parents=True)
    sqlite3.connect(home / "enclave.sqlite3").close()  # an empty database file

    result = _run(["token", "list"], xdg_env, tmp_path / "elsewhere")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "the database is not set up for this version of Enclave (" in result.stderr
    assert "run 'enclave manage migrate'" in result.stderr


def test_one_installation_from_any_directory(xdg_env, tmp_path):
    created = _run(["user", "bob", "--password", "bob-pass-123"], xdg_env, tmp_path / "a")
    again = _run(["user", "carol", "--password", "carol-pass-123"], xdg_env, tmp_path / "a")
    token = _run(["token", "create", "--user", "bob", "--name", "crm"], xdg_env, tmp_path / "b")
    listed = _run(["token", "list"], xdg_env, tmp_path / "c")

    home = tmp_path / "xdg" / "enclave"
    assert created.returncode == 0, created.stderr
    assert created.stderr.strip() == f"Created a new Enclave installation in {home} (ENCLAVE_HOME)."
    assert again.returncode == 0 and again.stderr == ""
    assert token.returncode == 0, token.stderr
    assert listed.returncode == 0, listed.stderr
    assert " bob " in listed.stdout and "crm" in listed.stdout
    assert (home / "enclave.sqlite3").is_file()
    assert not any((tmp_path / name / "var").exists() for name in "abc")


def test_serve_prints_the_first_admin_password_last_and_framed(tmp_path):
    env = process_env(tmp_path / "home")
    del env["ENCLAVE_ADMIN_PASSWORD"]  # generated, as on a first `make run`
    serve = ServeProcess(env, tmp_path / "serve.log")
    serve.start()
    serve.stop()

    log = (tmp_path / "serve.log").read_text()
    banner = log[log.index("╭") :]
    started = log.index("Uvicorn running on")
    assert started < log.index("╭")
    assert f"Enclave is running at {serve.url}" in banner
    assert "First admin sign-in: admin" in banner
    saved = tmp_path / "home" / "first-admin-password"
    assert f"The first admin's password is in {saved} (readable by this user only)." in banner
    password = saved.read_text().strip()
    assert len(password) >= 16
    assert password not in log  # a log is not a terminal: only the file's path
    assert "Quantization parameters" not in log


def test_collections_listed_renamed_and_deleted_from_the_terminal(tmp_path):
    env = process_env(tmp_path / "home")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "soup.md").write_text("# Soup\n\nThe canteen serves soup daily.\n")

    ingested = run_cli(["ingest", str(folder), "--collection", "Canteen"], env)
    run_cli(["ingest", str(folder), "--collection", "Other"], env)
    renamed = run_cli(["collection", "rename", "Canteen", "Cafeteria"], env)
    taken = run_cli(["collection", "rename", "Cafeteria", "Other"], env)
    refused = run_cli(["collection", "delete", "Cafeteria"], env)  # no "y" on stdin
    deleted = run_cli(["collection", "delete", "Cafeteria", "--yes"], env)
    missing = run_cli(["collection", "delete", "Cafeteria", "--yes"], env)
    listed = run_cli(["collection", "list"], env)

    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert renamed.stdout.strip() == "Collection 'Canteen' is now 'Cafeteria'."
    assert taken.returncode == 1
    assert "Error: A collection named 'Other' already exists." in taken.stderr
    assert refused.returncode == 1 and "Aborted" in refused.stderr
    assert deleted.stdout.strip() == "Collection 'Cafeteria' deleted with 1 documents."
    assert missing.returncode == 1 and "Error: no such collection: Cafeteria" in missing.stderr
    assert [line.split()[1:3] for line in listed.stdout.splitlines()] == [["Other", "1"]]
