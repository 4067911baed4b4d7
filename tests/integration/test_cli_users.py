"""``enclave user``: a password set in the terminal, and deleting a user, as a real process."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.support.server import process_env, run_cli

pytestmark = pytest.mark.timeout(300)


def _rows(env: dict[str, str], sql: str) -> list[tuple]:
    """``sql`` on the process's own database: PostgreSQL in stage 2, SQLite otherwise."""
    url = env.get("ENCLAVE_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]
    with sqlite3.connect(f"{env['ENCLAVE_HOME']}/enclave.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_a_user_is_deleted_from_the_terminal_with_their_tokens(tmp_path):
    home = tmp_path / "home"
    env = process_env(home)
    made = run_cli(["user", "carla", "--password", "plum-orchard-1987", "--group", "hr"], env)
    assert made.returncode == 0, made.stdout + made.stderr
    minted = run_cli(
        ["token", "create", "--user", "carla", "--name", "script", "--scope", "ask"], env
    )
    assert minted.returncode == 0, minted.stdout + minted.stderr

    refused = run_cli(["user", "carla", "--delete"], env | {"PYTHONIOENCODING": "utf-8"})
    assert refused.returncode == 1  # no terminal to say yes: nothing happens
    assert _rows(env, "SELECT username FROM auth_user WHERE username='carla'") == [("carla",)]

    deleted = run_cli(["user", "carla", "--delete", "--yes"], env)

    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert deleted.stdout.strip() == "User carla deleted (0 conversations, 1 API tokens)."
    assert _rows(env, "SELECT username FROM auth_user WHERE username='carla'") == []
    assert _rows(env, "SELECT count(*) FROM accounts_apitoken") == [(0,)]
    [(detail,)] = _rows(env, "SELECT detail FROM audit_auditevent WHERE kind='user.delete'")
    # jsonb comes back as a dict from PostgreSQL, as text from SQLite.
    assert (detail if isinstance(detail, dict) else json.loads(detail))["username"] == "carla"
    missing = run_cli(["user", "nobody", "--delete", "--yes"], env)
    assert missing.returncode == 1 and "No user named 'nobody'." in missing.stderr
